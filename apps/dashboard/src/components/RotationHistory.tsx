import type { RotationEntry, RotationOutcome } from '@agent-hub/protocol';
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
            >
              <td className="num">{e.turn}</td>
              <td className="mono">{e.agentId}</td>
              <td>
                <span className={`badge badge-${TONE[e.outcome]}`}>{e.outcome}</span>
              </td>
              <td className="muted">{e.reason ?? '—'}</td>
              <td title={e.at}>{formatTime(e.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
