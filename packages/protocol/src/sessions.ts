import { INT32_MAX } from './limits.ts';
import { z } from 'zod';
import { AgentId, IsoTime, JsonObject } from './common.ts';
import { LIMITS } from './limits.ts';
import { HUB_MESSAGE_FIELDS, MessageContent, ToolCall } from './chat-message.ts';

export const SESSION_STATES = ['active', 'idle', 'expired'] as const;
export const SessionState = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof SessionState>;

export const MessageRole = z.enum(['system', 'user', 'assistant', 'agent', 'tool', 'operator']);
export type MessageRole = z.infer<typeof MessageRole>;

/** A message's id: yours (the SDK makes a UUID) or one the hub makes; unique within its session. */
export const MessageId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'message ids are UUIDs or ULIDs');

/**
 * A message in the OpenAI chat shape plus the hub's `id`, `author` and `metadata`. Fields the hub
 * does not know are kept and handed back as sent (a list appended and read back is deep-equal).
 */
export const NewMessage = z
  .looseObject({
    /** Makes a retried append idempotent: an append whose ids are already stored answers the original result. */
    id: MessageId.optional(),
    role: MessageRole.default('agent'),
    author: z.string().max(LIMITS.agentIdMax).optional(),
    /** A string (every client before tool calls), null on a turn that only calls tools, or content parts. */
    content: MessageContent,
    tool_calls: z.array(ToolCall).min(1).max(128).optional(),
    /** On a `tool` message: the call it answers. */
    tool_call_id: z.string().min(1).max(256).optional(),
    name: z.string().min(1).max(256).optional(),
    metadata: JsonObject.default({}),
  })
  .superRefine((m, ctx) => {
    if (m.content === null && m.tool_calls === undefined) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'content may be null only on a message with tool_calls' });
    }
    for (const field of HUB_MESSAGE_FIELDS) {
      if (field in m) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is set by the hub` });
    }
  });
export type NewMessage = z.input<typeof NewMessage>;

export interface SessionMessage {
  seq: number;
  /** Absent on messages stored before message ids existed. */
  id?: string;
  role: MessageRole;
  author: string | null;
  content: MessageContent;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  /** Fields the hub does not know, as the client sent them. */
  [field: string]: unknown;
}

export interface Session {
  id: string;
  state: SessionState;
  version: number;
  members: string[];
  metadata: Record<string, unknown>;
  agentState: Record<string, unknown>;
  messageCount: number;
  createdAt: string;
  updatedAt: string;
  lastActivityAt: string;
  /**
   * Present only on a write's answer when the store was down: the write is journaled on the hub
   * and will be applied in order when the store is back (version 0 = the session is not stored yet).
   */
  pending?: { position: number };
}

export interface SessionWithHistory extends Session {
  messages: SessionMessage[];
}

/** Ids must not repeat within one request: each names one message. */
function distinctIds(messages: Array<{ id?: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    if (m.id === undefined) return;
    if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `message id ${m.id} appears twice` });
    seen.add(m.id);
  });
}

export const CreateSession = z.object({
  members: z.array(AgentId).max(100).default([]),
  metadata: JsonObject.default({}),
  messages: z.array(NewMessage).max(1000).superRefine(distinctIds).default([]),
});
export type CreateSession = z.input<typeof CreateSession>;

export const UpdateSession = z.object({
  /** The version this change is based on; a stale one fails with SESSION_VERSION_CONFLICT. */
  version: z.number().int().min(1).max(INT32_MAX),
  metadata: JsonObject.optional(),
  members: z.array(AgentId).max(100).optional(),
  state: z.enum(['active']).optional(),
});
export type UpdateSession = z.infer<typeof UpdateSession>;

export const AppendMessages = z.object({
  /** Optional: when given, the append fails unless the session is still at this version. */
  version: z.number().int().min(1).max(INT32_MAX).optional(),
  messages: z.array(NewMessage).min(1).max(1000).superRefine(distinctIds),
});
export type AppendMessages = z.input<typeof AppendMessages>;

/**
 * The answer to an append: the stored messages and the session as the append left it, or, while
 * the store is down, `pending` (journaled on the hub, applied in order once the store is back).
 * `duplicate: true` answers a retry whose message ids were already taken: nothing new was written,
 * and the answer is the original one (its seqs, and the version that append produced).
 */
export type AppendResult =
  | { session: Session; messages: SessionMessage[]; duplicate?: boolean; pending?: undefined }
  | { session: null; messages: SessionMessage[]; duplicate?: boolean; pending: { position: number } };

export const SetAgentState = z.object({
  version: z.number().int().min(1).max(INT32_MAX).optional(),
  state: z.unknown(),
});
export type SetAgentState = z.infer<typeof SetAgentState>;

export const SessionListQuery = z.object({
  state: SessionState.optional(),
  agent: AgentId.optional(),
  createdAfter: IsoTime.optional(),
  createdBefore: IsoTime.optional(),
  updatedAfter: IsoTime.optional(),
  updatedBefore: IsoTime.optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type SessionListQuery = z.input<typeof SessionListQuery>;

export const HistoryQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
