import type { HubEvent } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

// Payloads can be large; the stream is for scanning, the full event is in the title.
const PAYLOAD_PREVIEW_CHARS = 160;

function preview(payload: unknown): string {
  const text = JSON.stringify(payload) ?? 'undefined';
  return text.length > PAYLOAD_PREVIEW_CHARS ? `${text.slice(0, PAYLOAD_PREVIEW_CHARS)}…` : text;
}

export function EventStream({ events }: { events: HubEvent[] }) {
  if (events.length === 0) return <p className="empty">No events yet</p>;

  return (
    <table className="table" data-testid="event-stream">
      <thead>
        <tr>
          <th>Time</th>
          <th className="num">Offset</th>
          <th>Topic</th>
          <th>Priority</th>
          <th>Publisher</th>
          <th>Payload</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.id}>
            <td title={e.ts}>{formatTime(e.ts)}</td>
            <td className="num mono">{e.offset}</td>
            <td className="mono">{e.topic}</td>
            <td>
              <span className={`badge badge-priority-${e.priority}`}>{e.priority}</span>
            </td>
            <td className="mono">{e.publisher}</td>
            <td className="mono payload">{preview(e.payload)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
