import type { Session } from '@agent-hub/protocol';
import { formatTime, shortId } from '../format.ts';

interface Props {
  sessions: Record<string, Session>;
  selectedId: string | null;
  onSelect(id: string): void;
}

function byLastActivity(a: Session, b: Session): number {
  return b.lastActivityAt.localeCompare(a.lastActivityAt);
}

export function SessionTable({ sessions, selectedId, onSelect }: Props) {
  const rows = Object.values(sessions).sort(byLastActivity);
  if (rows.length === 0) return <p className="empty">No sessions</p>;

  return (
    <table className="table table-clickable">
      <thead>
        <tr>
          <th>Id</th>
          <th>State</th>
          <th>Members</th>
          <th className="num">Messages</th>
          <th>Last activity</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr
            key={s.id}
            data-testid={`session-row-${s.id}`}
            className={s.id === selectedId ? 'row-selected' : undefined}
            onClick={() => onSelect(s.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') onSelect(s.id);
            }}
            tabIndex={0}
            aria-selected={s.id === selectedId}
          >
            <td className="mono" title={s.id}>
              {shortId(s.id)}
            </td>
            <td>
              <span className={`badge badge-session-${s.state}`}>{s.state}</span>
            </td>
            <td>{s.members.length === 0 ? '—' : s.members.join(', ')}</td>
            <td className="num">{s.messageCount}</td>
            <td title={s.lastActivityAt}>{formatTime(s.lastActivityAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
