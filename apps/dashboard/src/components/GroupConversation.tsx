import { useEffect, useRef, useState } from 'react';
import type { SessionMessage } from '@agent-hub/protocol';
import { errorWithCode, type HubApi } from '../api.ts';
import { MessageList } from './MessageList.tsx';

interface Props {
  api: HubApi;
  sessionId: string;
  /** Changes whenever the conversation may have grown; the socket carries no message bodies. */
  refreshKey: string;
}

/** The group's shared session history, oldest first, kept scrolled to the newest message. */
export function GroupConversation({ api, sessionId, refreshKey }: Props) {
  const [messages, setMessages] = useState<SessionMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);

  // The parent keys this component by group, so the session never changes under it. Answers are not
  // cancelled when a newer refresh starts: while turns are quick that would starve the view; the
  // history only grows, so the answer with the newest message wins.
  useEffect(() => {
    api.getSession(sessionId).then(
      (session) => {
        setMessages((shown) => (shown && newestSeq(shown) > newestSeq(session.messages) ? shown : session.messages));
        setError(null);
      },
      // Keep what is on screen: the next update retries.
      (err: unknown) => setError(errorWithCode(err)),
    );
  }, [api, sessionId, refreshKey]);

  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages]);

  return (
    <div className="scroll conversation" ref={scroller} data-testid="group-conversation">
      {error && <p className="form-error">Could not load the conversation: {error}</p>}
      {messages === null && !error && <p className="empty">Loading conversation…</p>}
      {messages && <MessageList messages={messages} />}
    </div>
  );
}

function newestSeq(messages: SessionMessage[]): number {
  return messages.length === 0 ? 0 : messages[messages.length - 1]!.seq;
}
