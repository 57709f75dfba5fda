import { z } from 'zod';
import { AgentId } from './common.ts';
import { INT32_MAX, LIMITS } from './limits.ts';
import { TopicPattern } from './events.ts';

export const HEALTH_STATES = ['connecting', 'healthy', 'suspect', 'zombie', 'disconnected', 'recovering', 'failed'] as const;
export const HealthState = z.enum(HEALTH_STATES);
export type HealthState = z.infer<typeof HealthState>;

export const RecoveryStrategy = z.enum(['restart', 'replace', 'alert']);
export type RecoveryStrategy = z.infer<typeof RecoveryStrategy>;

export const Capability = z.string().min(1).max(100);

/** First message an agent sends after connecting: who it is and what it can do. */
export const RegisterAgent = z.object({
  name: z.string().min(1).max(LIMITS.nameMax),
  capabilities: z.array(Capability).max(LIMITS.capabilitiesMax).default([]),
  recovery: RecoveryStrategy.optional(),
  priority: z.number().int().min(0).max(1000).default(0),
  meta: z.record(z.string(), z.unknown()).default({}),
  /** Sent on a re-registration: how long the agent was away (ms) — the hub's reconnect histogram. */
  reconnect: z.object({ afterMs: z.number().int().min(0).max(86_400_000) }).optional(),
});
export type RegisterAgent = z.input<typeof RegisterAgent>;
export type RegisterAgentParsed = z.infer<typeof RegisterAgent>;

export interface AgentInfo {
  id: string;
  name: string;
  capabilities: string[];
  priority: number;
  recovery: RecoveryStrategy;
  health: HealthState;
  connected: boolean;
  connectedSince: string | null;
  lastSeenAt: string | null;
  lastLivenessAt: string | null;
  recoveries: number;
  /** Set when the agent's last catch-up replay mostly failed (more than half of the events). */
  degraded: string | null;
  node: string | null;
  meta: Record<string, unknown>;
}

export interface HealthTransition {
  agentId: string;
  from: HealthState | null;
  to: HealthState;
  reason: string;
  at: string;
}

/**
 * What a token lets its agent do, as NATS user permissions do: topic patterns it may publish to
 * and subscribe to. Omitted: everything (today's behaviour).
 */
export const AgentPermissions = z.object({
  publish: z.array(TopicPattern).max(100).optional(),
  subscribe: z.array(TopicPattern).max(100).optional(),
});
export type AgentPermissions = z.infer<typeof AgentPermissions>;

export const IssueAgentToken = z.object({
  agentId: AgentId,
  /** Lifetime in seconds; default AGENT_TOKEN_TTL_MS, at most AGENT_TOKEN_MAX_TTL_MS. */
  ttlSeconds: z.number().int().min(1).max(INT32_MAX).optional(),
  permissions: AgentPermissions.optional(),
});
export type IssueAgentToken = z.infer<typeof IssueAgentToken>;

/** `POST /api/agents/tokens` answer. */
export interface IssuedAgentToken {
  agentId: string;
  token: string;
  /** The token's id (`jti`), for revoking this one token. */
  tokenId: string;
  /** The signing key's id. */
  keyId: string;
  expiresAt: string;
}

/** `POST /api/agents/tokens/revoke`: one token (by id), or every token of an agent issued until now. */
export const RevokeAgentTokens = z
  .object({ tokenId: z.string().min(1).max(64).optional(), agentId: AgentId.optional() })
  .refine((r) => (r.tokenId === undefined) !== (r.agentId === undefined), 'give exactly one of tokenId, agentId');
export type RevokeAgentTokens = z.infer<typeof RevokeAgentTokens>;

/** `auth:refresh` (agent → hub): replace this connection's token with a newer one of the same agent. */
export const RefreshAgentToken = z.object({ token: z.string().min(1).max(4096) });
export type RefreshAgentToken = z.infer<typeof RefreshAgentToken>;

/** Liveness report an agent returns to the hub's probe. */
export const LivenessReport = z.object({
  ok: z.boolean(),
  lastProgressAt: z.string().optional(),
  detail: z.string().max(1000).optional(),
  /** Publishes the agent holds that the hub has not yet confirmed durable (its in-flight window). */
  pendingPublishes: z.number().int().min(0).max(10_000_000).optional(),
});
export type LivenessReport = z.infer<typeof LivenessReport>;

/** What an agent reports after catching up on reconnect (replayed events and how many failed). */
export const ReplayReport = z.object({
  replayed: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type ReplayReport = z.infer<typeof ReplayReport>;
