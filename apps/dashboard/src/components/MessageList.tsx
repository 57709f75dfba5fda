import type { SessionMessage } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';
import { MessageBody } from './MessageBody.tsx';

export function MessageList({ messages }: { messages: SessionMessage[] }) {
  if (messages.length === 0) return <p className="empty">No messages</p>;

  return (
    <ol className="messages">
      {messages.map((m) => (
        <li key={m.seq} className={`message message-${m.role}`}>
          <div className="message-head">
            <span className="message-role">{m.role}</span>
            <span className="message-author">{m.author ?? '—'}</span>
            <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
          </div>
          <MessageBody message={m} />
        </li>
      ))}
    </ol>
  );
}
