import type { SessionMessage } from '@agent-hub/protocol';
import type { NewMessageRecord } from '../ports/store.ts';

/**
 * The message a store hands back for a record it stored at `seq`: the record's extra fields
 * (tool calls, unknown ones) spread beside the hub's, so what a client sent comes back deep-equal.
 * Every adapter builds its answer with this, so they agree on the shape.
 */
export function storedMessage(m: NewMessageRecord, seq: number, createdAt: string): SessionMessage {
  return {
    ...m.fields,
    seq,
    ...(m.id === undefined ? {} : { id: m.id }),
    role: m.role,
    author: m.author,
    content: m.content,
    metadata: m.metadata,
    createdAt,
  };
}
