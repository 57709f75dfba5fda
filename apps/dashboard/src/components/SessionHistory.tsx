import type { SessionWithHistory } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

export function SessionHistory({ session }: { session: SessionWithHistory }) {
  return (
    <>
      <dl className="facts">
        <dt>State</dt>
        <dd>{session.state}</dd>
        <dt>Version</dt>
        <dd>{session.version}</dd>
        <dt>Members</dt>
        <dd>{session.members.join(', ') || '—'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(session.createdAt)}</dd>
      </dl>
      {session.messages.length === 0 ? (
        <p className="empty">No messages</p>
      ) : (
        <ol className="messages">
          {session.messages.map((m) => (
            <li key={m.seq} className={`message message-${m.role}`}>
              <div className="message-head">
                <span className="message-role">{m.role}</span>
                <span className="message-author">{m.author ?? '—'}</span>
                <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
              </div>
              <pre className="message-content">{m.content}</pre>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
