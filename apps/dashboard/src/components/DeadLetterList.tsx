import type { DeadLetter } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

export function DeadLetterList({ deadLetters }: { deadLetters: DeadLetter[] }) {
  if (deadLetters.length === 0) return <p className="empty">No dead letters</p>;

  return (
    <table className="table" data-testid="dead-letters">
      <thead>
        <tr>
          <th>Time</th>
          <th>Topic</th>
          <th>Agent</th>
          <th className="num">Offset</th>
          <th className="num">Attempts</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {deadLetters.map((d) => (
          <tr key={d.id}>
            <td title={d.at}>{formatTime(d.at)}</td>
            <td className="mono">{d.topic}</td>
            <td className="mono">{d.agentId}</td>
            <td className="num mono">{d.offset}</td>
            <td className="num">{d.attempts}</td>
            <td className="error-text">{d.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
