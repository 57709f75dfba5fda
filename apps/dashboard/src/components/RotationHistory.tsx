import type { HandoffVerdict, RotationEntry, RotationOutcome } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

const TONE: Record<RotationOutcome, string> = {
  granted: 'info',
  spoken: 'ok',
  skipped: 'bad',
  throttled: 'warn',
};

/** Turn decisions, newest first; each row carries its turn, agent and outcome for scripts and tests. */
export function RotationHistory({ history }: { history: RotationEntry[] }) {
  if (history.length === 0) return <p className="empty">No turns yet</p>;
  const newestFirst = [...history].reverse();

  return (
    <div className="scroll">
      <table className="table" data-testid="rotation">
        <thead>
          <tr>
            <th className="num">Turn</th>
            <th>Agent</th>
            <th>Outcome</th>
            <th>Reason</th>
            <th>Handoff</th>
            <th>Time</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((e) => (
            <tr
              key={`${e.turn}|${e.agentId}|${e.outcome}|${e.at}`}
              data-testid="rotation-entry"
              data-turn={e.turn}
              data-agent={e.agentId}
              data-outcome={e.outcome}
              data-handoff={e.handoff ? (e.handoff.accepted ? 'accepted' : 'refused') : undefined}
            >
              <td className="num">{e.turn}</td>
              <td className="mono">{e.agentId}</td>
              <td>
                <span className={`badge badge-${TONE[e.outcome]}`}>{e.outcome}</span>
              </td>
              <td className="muted">{e.reason ?? '—'}</td>
              <td>{e.handoff ? <Handoff h={e.handoff} /> : <span className="muted">—</span>}</td>
              <td title={e.at}>{formatTime(e.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A speaker's named successor on the grant that followed: taken, or refused with the hub's reason. */
function Handoff({ h }: { h: HandoffVerdict }) {
  if (h.accepted) {
    return (
      <span className="badge badge-ok" title={`${h.from} handed the turn to ${h.to}`}>
        {h.from} → {h.to}
      </span>
    );
  }
  return (
    <span title={`${h.from} named ${h.to}; the strategy chose instead`}>
      <span className="badge badge-warn">
        {h.from} → {h.to} refused
      </span>{' '}
      <span className="muted" data-testid="handoff-reason">
        {h.reason}
      </span>
    </span>
  );
}
