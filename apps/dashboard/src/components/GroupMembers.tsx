import type { AgentInfo, Group } from '@agent-hub/protocol';
import { HealthBadge } from './HealthBadge.tsx';

interface Props {
  group: Group;
  agents: Record<string, AgentInfo>;
}

/** Seats in rotation order, with each member's live health from the agent directory. */
export function GroupMembers({ group, agents }: Props) {
  const speaker = group.current?.agentId ?? null;

  return (
    <table className="table" data-testid="group-members">
      <thead>
        <tr>
          <th className="num">Seat</th>
          <th>Agent</th>
          <th>Health</th>
          <th className="num">In a row</th>
          <th className="num">Cooldown</th>
        </tr>
      </thead>
      <tbody>
        {group.members.map((id, seat) => {
          const agent = agents[id];
          const speaking = id === speaker;
          const inARow = group.consecutive.agentId === id ? group.consecutive.count : 0;
          const cooldown = group.cooldowns[id] ?? 0;
          return (
            <tr key={id} data-testid={`group-member-${id}`} className={speaking ? 'row-speaking' : undefined}>
              <td className="num">{seat + 1}</td>
              <td>
                <span className="mono">{id}</span>
                {agent && agent.name !== id && <span className="muted"> {agent.name}</span>}
                {speaking && <span className="chip chip-speaking">speaking</span>}
              </td>
              <td>
                {agent ? <HealthBadge state={agent.health} testId={`group-member-health-${id}`} /> : <span className="muted">unknown</span>}
              </td>
              <td className="num">{inARow}</td>
              <td className="num">{cooldown > 0 ? `${cooldown} turn${cooldown === 1 ? '' : 's'}` : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
