import type { SessionWithHistory } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';
import { MessageList } from './MessageList.tsx';

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
      <MessageList messages={session.messages} />
    </>
  );
}
