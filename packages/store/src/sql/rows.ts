import type { AgentRecord, NewMessageRecord } from '@agent-hub/core';
import {
  messageText,
  PRIORITIES,
  type DeadLetter,
  type DeadLetterStatus,
  type HubEvent,
  type MessageRole,
  type RecoveryStrategy,
  type Session,
  type SessionMessage,
  type SessionState,
} from '@agent-hub/protocol';
import type { agents, deadLetters, events, sessionMessages, sessions } from '../schema.ts';

export function toSession(r: typeof sessions.$inferSelect): Session {
  return {
    id: r.id,
    state: r.state as SessionState,
    version: r.version,
    members: r.members,
    metadata: r.metadata,
    agentState: r.agentState,
    messageCount: r.messageCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    lastActivityAt: r.lastActivityAt.toISOString(),
  };
}

export function toMessage(r: typeof sessionMessages.$inferSelect): SessionMessage {
  return {
    seq: r.seq,
    ...(r.messageId === null ? {} : { id: r.messageId }),
    role: r.role as MessageRole,
    author: r.author,
    content: r.content,
    ...r.fields,
    metadata: r.metadata,
    createdAt: r.createdAt.toISOString(),
  } as SessionMessage;
}

/** A message's content and extra fields as its row keeps them (see `sessionMessages.fields`). */
export function messageColumns(m: NewMessageRecord): { content: string; fields: Record<string, unknown> | null } {
  if (typeof m.content === 'string') return { content: m.content, fields: m.fields ?? null };
  return { content: messageText({ content: m.content }), fields: { ...m.fields, content: m.content } };
}

export function toHubEvent(r: typeof events.$inferSelect): HubEvent {
  const priority = PRIORITIES[r.priority];
  // A row another writer (or a newer hub) stored with a priority this hub does not know.
  if (priority === undefined) throw new Error(`event ${r.id} (offset ${r.offset}) has unknown priority rank ${r.priority}`);
  return {
    id: r.id,
    offset: r.offset,
    topic: r.topic,
    priority,
    ts: r.ts.toISOString(),
    publisher: r.publisher,
    payload: JSON.parse(r.payload),
  };
}

export function toDeadLetter(r: typeof deadLetters.$inferSelect): DeadLetter {
  return {
    ...r,
    at: r.at.toISOString(),
    status: r.status as DeadLetterStatus,
    resolvedAt: r.resolvedAt === null ? null : r.resolvedAt.toISOString(),
  };
}

export function toAgentRecord(r: typeof agents.$inferSelect): AgentRecord {
  return { ...r, recovery: r.recovery as RecoveryStrategy, registeredAt: r.registeredAt.getTime() };
}
