import { INT32_MAX } from './limits.ts';
import { z } from 'zod';
import { AgentId, JsonObject } from './common.ts';
import { LIMITS } from './limits.ts';

export const SESSION_STATES = ['active', 'idle', 'expired'] as const;
export const SessionState = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof SessionState>;

export const MessageRole = z.enum(['system', 'user', 'assistant', 'agent', 'tool', 'operator']);
export type MessageRole = z.infer<typeof MessageRole>;

export const NewMessage = z.object({
  role: MessageRole.default('agent'),
  author: z.string().max(LIMITS.agentIdMax).optional(),
  content: z.string().max(LIMITS.messageContentMax),
  metadata: JsonObject.default({}),
});
export type NewMessage = z.input<typeof NewMessage>;

export interface SessionMessage {
  seq: number;
  role: MessageRole;
  author: string | null;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: string;
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

export const CreateSession = z.object({
  members: z.array(AgentId).max(100).default([]),
  metadata: JsonObject.default({}),
  messages: z.array(NewMessage).max(1000).default([]),
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
  messages: z.array(NewMessage).min(1).max(1000),
});
export type AppendMessages = z.input<typeof AppendMessages>;

export const SetAgentState = z.object({
  version: z.number().int().min(1).max(INT32_MAX).optional(),
  state: z.unknown(),
});
export type SetAgentState = z.infer<typeof SetAgentState>;

export const SessionListQuery = z.object({
  state: SessionState.optional(),
  agent: AgentId.optional(),
  createdAfter: z.string().datetime({ offset: true }).optional(),
  createdBefore: z.string().datetime({ offset: true }).optional(),
  updatedAfter: z.string().datetime({ offset: true }).optional(),
  updatedBefore: z.string().datetime({ offset: true }).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type SessionListQuery = z.input<typeof SessionListQuery>;

export const HistoryQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
