import type { Group } from '@agent-hub/protocol';

function turns(n: number): string {
  return `${n} turn${n === 1 ? '' : 's'}`;
}

/** The throttle's settings and who it is holding back right now (docs/groups.md, "Throttling"). */
export function GroupThrottle({ group }: { group: Group }) {
  const { maxConsecutive, cooldownTurns } = group.settings;
  const cooling = Object.entries(group.cooldowns).filter(([, left]) => left > 0);
  const run = group.consecutive;

  return (
    <div className="throttle" data-testid="throttle">
      <p>{cooldownTurns === 0 ? 'Throttling is off.' : `At most ${maxConsecutive} turns in a row, then ${turns(cooldownTurns)} out.`}</p>
      <p>
        Current run:{' '}
        {run.agentId ? (
          <>
            <span className="mono">{run.agentId}</span> × {run.count}
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </p>
      <p>
        Cooling down:{' '}
        {cooling.length === 0 ? (
          <span className="muted">nobody</span>
        ) : (
          cooling.map(([id, left]) => (
            <span key={id} className="chip">
              <span className="mono">{id}</span> {turns(left)} left
            </span>
          ))
        )}
      </p>
    </div>
  );
}
