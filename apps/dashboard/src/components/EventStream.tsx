import type { HubEvent } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';
import { EventPayload } from './EventPayload.tsx';

interface Props {
  events: HubEvent[];
  testId?: string;
  emptyText?: string;
}

export function EventStream({ events, testId = 'event-stream', emptyText = 'No events yet' }: Props) {
  if (events.length === 0) return <p className="empty">{emptyText}</p>;

  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
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
              <td className="payload-cell">
                <EventPayload payload={e.payload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
