import { z } from 'zod';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../errors.ts';
import { HealthState, RecoveryStrategy, type AgentInfo, type HealthTransition } from '../agents.ts';
import {
  DeadLetterStatus,
  EventId,
  Priority,
  ReplayPolicy,
  type DeadLetter,
  type HubEvent,
  type PublishResult,
  type Redelivery,
  type RedeliveryReceipt,
} from '../events.ts';
import { MessageContent, ToolCall } from '../chat-message.ts';
import { CheckpointBlob, CheckpointCursor, CheckpointWrite } from '../checkpoints.ts';
import {
  MessageId,
  MessageRole,
  SessionState,
  type AppendResult,
  type Session,
  type SessionMessage,
  type SessionWithHistory,
} from '../sessions.ts';
import { AgentId, JsonObject } from '../common.ts';
import {
  GROUP_STATUSES,
  GroupStrategy,
  ROTATION_OUTCOMES,
  TASK_STATUSES,
  type Group,
  type GroupEndedEvent,
  type GroupJoined,
  type GroupMessageEvent,
  type GroupSettings,
  type GroupSpoken,
  type GroupTask,
  type GroupTurn,
  type GroupTurnGrant,
  type RotationEntry,
  type TaskSummary,
} from '../groups.ts';
import type { MetricsHistory, MetricsSample, MetricsSamplePush } from '../metrics-history.ts';
import type { AgentSubscription, AgentSubscriptions } from '../agent-subscriptions.ts';
import type { AgentHandshake, HubStatus, OperatorHandshake, ShutdownNotice, SubscribeResult } from '../socket.ts';

/**
 * What the hub sends back, as zod schemas: the protocol types these mirror are plain interfaces
 * (the hub builds them, nobody parses them), and the JSON Schema, OpenAPI and AsyncAPI documents
 * need them as data. Each mirror is checked against its interface below, so the two cannot drift.
 */

const Time = z.string().describe('ISO 8601 time');

export const ErrorBodySchema = z.object({
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  details: z.unknown().optional(),
});

export const AgentInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  capabilities: z.array(z.string()),
  priority: z.number().int(),
  recovery: RecoveryStrategy,
  health: HealthState,
  connected: z.boolean(),
  connectedSince: Time.nullable(),
  lastSeenAt: Time.nullable(),
  lastLivenessAt: Time.nullable(),
  recoveries: z.number().int(),
  degraded: z.string().nullable().describe('why the last catch-up replay mostly failed, if it did'),
  node: z.string().nullable(),
  meta: JsonObject,
});

export const HealthTransitionSchema = z.object({
  agentId: z.string(),
  from: HealthState.nullable(),
  to: HealthState,
  reason: z.string(),
  at: Time,
});

export const HubEventSchema = z.object({
  id: z.string(),
  offset: z.number().int(),
  topic: z.string(),
  priority: Priority,
  ts: Time.describe('when the hub accepted the event'),
  publisher: z.string(),
  payload: z.unknown(),
});

export const PublishResultSchema = z.object({
  id: z.string(),
  offset: z.number().int(),
  durable: z.boolean().describe('committed to the event log; false while the store is down and it is queued'),
  duplicate: z.boolean().describe('this id was published before: nothing new was delivered'),
});

export const DeadLetterSchema = z.object({
  id: z.string(),
  eventId: EventId,
  offset: z.number().int(),
  topic: z.string(),
  agentId: z.string(),
  attempts: z.number().int(),
  error: z.string(),
  at: Time,
  status: DeadLetterStatus,
  resolvedBy: z.string().nullable().describe('who retried or discarded it; null while open'),
  resolvedAt: Time.nullable().describe('when it was retried or discarded; null while open'),
});

export const RedeliverySchema = z.object({ deadLetterId: z.string(), event: HubEventSchema });
export const RedeliveryReceiptSchema = z.object({ handlers: z.number().int().describe('handlers the agent will run for the event') });

export const SubscribeResultSchema = z.object({
  patterns: z.array(z.string()),
  replayed: z.number().int(),
  fromOffset: z.number().int(),
  watermark: z.number().int().describe('every event of these patterns up to this offset has reached this connection'),
});

export const SessionMessageSchema = z
  .object({
    seq: z.number().int(),
    id: MessageId.optional(),
    role: MessageRole,
    author: z.string().nullable(),
    content: MessageContent,
    tool_calls: z.array(ToolCall).optional(),
    tool_call_id: z.string().optional(),
    name: z.string().optional(),
    metadata: JsonObject,
    createdAt: Time,
  })
  .catchall(z.unknown());

export const StoredCheckpointSchema = z.object({
  threadId: z.string(),
  namespace: z.string(),
  id: z.string(),
  parentId: z.string().nullable(),
  checkpoint: CheckpointBlob,
  metadata: JsonObject,
  writes: z.array(CheckpointWrite).describe('the writes stored against it, by taskId then idx'),
});

export const CheckpointPageSchema = z.object({
  items: z.array(StoredCheckpointSchema),
  next: CheckpointCursor.nullable().describe('pass as `after` for the next page; null on the last'),
});

export const SessionSchema = z.object({
  id: z.string(),
  state: SessionState,
  version: z.number().int(),
  members: z.array(z.string()),
  metadata: JsonObject,
  agentState: JsonObject,
  messageCount: z.number().int(),
  createdAt: Time,
  updatedAt: Time,
  lastActivityAt: Time,
  pending: z.object({ position: z.number().int() }).optional().describe('only while the store is down: the write is journaled on the hub'),
});

export const SessionWithHistorySchema = SessionSchema.extend({ messages: z.array(SessionMessageSchema) });

export const AppendResultSchema = z.union([
  z.object({
    session: SessionSchema,
    messages: z.array(SessionMessageSchema),
    duplicate: z.boolean().optional(),
    pending: z.never().optional(),
  }),
  z.object({
    session: z.null(),
    messages: z.array(SessionMessageSchema),
    duplicate: z.boolean().optional(),
    pending: z.object({ position: z.number().int() }),
  }),
]);

export const RotationEntrySchema = z.object({
  turn: z.number().int(),
  agentId: z.string(),
  outcome: z.enum(ROTATION_OUTCOMES),
  reason: z.string().nullable(),
  at: Time,
  handoff: z
    .object({ from: z.string(), to: z.string(), accepted: z.boolean(), reason: z.string().nullable() })
    .optional()
    .describe('on the grant after a speaker named a successor: followed or not, and why not'),
});

export const GroupTaskSchema = z.object({
  id: z.string(),
  title: z.string(),
  details: z.string().nullable(),
  status: z.enum(TASK_STATUSES),
  claimedBy: z.string().nullable(),
  attempts: z.number().int(),
  leaseExpiresAt: Time.nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  createdAt: Time,
  updatedAt: Time,
});

export const TaskSummarySchema = z.object({
  total: z.number().int(),
  open: z.number().int(),
  claimed: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  complete: z.boolean(),
});

export const GroupSettingsSchema = z.object({
  maxTurns: z.number().int(),
  stopWord: z.string().nullable(),
  turnTimeoutMs: z.number().int(),
  timeoutMs: z.number().int(),
  maxConsecutive: z.number().int(),
  cooldownTurns: z.number().int(),
  manualWaitMs: z.number().int(),
  allowedTransitions: z.record(z.string(), z.array(z.string())).nullable(),
  llm: z
    .object({
      endpoint: z.string().optional(),
      model: z.string().optional(),
      prompt: z.string().optional(),
      budgetMs: z.number().int().optional(),
    })
    .nullable(),
});

export const GroupTurnSchema = z.object({
  agentId: z.string(),
  turnId: z.string(),
  turn: z.number().int(),
  grantedAt: Time,
  deadlineAt: Time.nullable(),
});

export const GroupSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  status: z.enum(GROUP_STATUSES),
  strategy: GroupStrategy,
  members: z.array(z.string()),
  settings: GroupSettingsSchema,
  turn: z.number().int(),
  spokenTurns: z.number().int(),
  current: GroupTurnSchema.nullable(),
  lastSpeakerId: z.string().nullable(),
  pendingPick: z.string().nullable(),
  waiting: z.string().nullable(),
  consecutive: z.object({ agentId: z.string().nullable(), count: z.number().int() }),
  cooldowns: z.record(z.string(), z.number().int()),
  history: z.array(RotationEntrySchema),
  tasks: z.array(GroupTaskSchema),
  taskSummary: TaskSummarySchema,
  endedReason: z.string().nullable(),
  metadata: JsonObject,
  createdAt: Time,
  updatedAt: Time,
  endsAt: Time,
  version: z.number().int(),
});

export const GroupTurnGrantSchema = z.object({
  groupId: z.string(),
  turnId: z.string(),
  turn: z.number().int(),
  deadlineAt: Time.nullable(),
});
export const GroupMessageEventSchema = z.object({ groupId: z.string(), message: SessionMessageSchema });
export const GroupEndedEventSchema = z.object({ groupId: z.string(), reason: z.string() });
export const GroupJoinedSchema = z.object({ group: GroupSchema, messages: z.array(SessionMessageSchema) });
export const GroupSpokenSchema = z.object({ turn: z.number().int(), message: SessionMessageSchema });

export const HubStatusSchema = z.object({
  version: z.string(),
  node: z.string(),
  degraded: z.boolean(),
  degradedReason: z.string().nullable(),
  degradedSince: Time.nullable(),
  sessionLimit: z.number().int(),
  storeDegraded: z.boolean(),
  shuttingDown: z.boolean(),
});

export const ShutdownNoticeSchema = z.object({
  reason: z.string(),
  reconnectAfterMs: z.number().int().describe("this socket's own delay: the fleet is spread over a window"),
});

/** The Socket.IO handshake `auth` of each namespace (sent by clients, checked by the hub's middleware). */
export const AgentHandshakeSchema = z.object({
  agentId: AgentId,
  token: z.string().describe('an agent token (POST /api/agents/tokens)'),
  lastOffset: z.number().int().min(0).optional().describe('resume point: min(highest offset processed, last watermark heard)'),
  protocol: z.number().int().optional().describe("wire protocol version; default: the hub's current one"),
});
export const OperatorHandshakeSchema = z.object({ token: z.string().describe('the operator token') });

export const MetricsSampleSchema = z.object({
  at: Time.describe('end of the interval'),
  intervalMs: z.number().int(),
  publishedPerSec: z.number(),
  deliveredPerSec: z.number(),
  propagationP50Ms: z.number().nullable(),
  propagationP95Ms: z.number().nullable(),
  connectedAgents: z.number().int(),
  degraded: z.boolean(),
  storeDegraded: z.boolean(),
});
export const MetricsHistorySchema = z.object({
  scope: z.literal('node'),
  node: z.string(),
  intervalMs: z.number().int(),
  windowMs: z.number().int(),
  samples: z.array(MetricsSampleSchema),
});
export const MetricsSamplePushSchema = z.object({ scope: z.literal('node'), node: z.string(), sample: MetricsSampleSchema });

export const AgentSubscriptionSchema = z.object({ pattern: z.string(), policy: ReplayPolicy });
export const AgentSubscriptionsSchema = z.object({
  agentId: z.string(),
  connected: z.boolean(),
  node: z.string(),
  subscriptions: z.array(AgentSubscriptionSchema),
  ackedOffset: z.number().int().nullable(),
  lag: z.object({ count: z.number().int(), capped: z.boolean(), limit: z.number().int() }).nullable(),
});

export const AgentTokenSchema = z.object({
  agentId: AgentId,
  token: z.string().describe('an ah2 token'),
  tokenId: z.string().describe('the token id, for POST /api/agents/tokens/revoke'),
  keyId: z.string().describe('the id of the key that signed it'),
  expiresAt: Time,
});
export const AgentTokenRevocationSchema = z.object({
  revoked: z.union([
    z.object({ kind: z.literal('token'), jti: z.string(), exp: z.number().int() }),
    z.object({ kind: z.literal('agent'), agentId: AgentId, at: z.number().int() }),
  ]),
});

/** Ties each mirror to its interface: the build fails when either side gains, loses or changes a field. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Mirrors<T extends true> = T;
export type MirrorChecks = [
  Mirrors<Same<z.output<typeof ErrorBodySchema>, ErrorBody>>,
  Mirrors<Same<z.output<typeof AgentInfoSchema>, AgentInfo>>,
  Mirrors<Same<z.output<typeof HealthTransitionSchema>, HealthTransition>>,
  Mirrors<Same<z.output<typeof HubEventSchema>, HubEvent>>,
  Mirrors<Same<z.output<typeof PublishResultSchema>, PublishResult>>,
  Mirrors<Same<z.output<typeof DeadLetterSchema>, DeadLetter>>,
  Mirrors<Same<z.output<typeof RedeliverySchema>, Redelivery>>,
  Mirrors<Same<z.output<typeof RedeliveryReceiptSchema>, RedeliveryReceipt>>,
  Mirrors<Same<z.output<typeof SubscribeResultSchema>, SubscribeResult>>,
  Mirrors<Same<z.output<typeof SessionMessageSchema>, SessionMessage>>,
  Mirrors<Same<z.output<typeof SessionSchema>, Session>>,
  Mirrors<Same<z.output<typeof SessionWithHistorySchema>, SessionWithHistory>>,
  Mirrors<Same<z.output<typeof AppendResultSchema>, AppendResult>>,
  Mirrors<Same<z.output<typeof RotationEntrySchema>, RotationEntry>>,
  Mirrors<Same<z.output<typeof GroupTaskSchema>, GroupTask>>,
  Mirrors<Same<z.output<typeof TaskSummarySchema>, TaskSummary>>,
  Mirrors<Same<z.output<typeof GroupSettingsSchema>, GroupSettings>>,
  Mirrors<Same<z.output<typeof GroupTurnSchema>, GroupTurn>>,
  Mirrors<Same<z.output<typeof GroupSchema>, Group>>,
  Mirrors<Same<z.output<typeof GroupTurnGrantSchema>, GroupTurnGrant>>,
  Mirrors<Same<z.output<typeof GroupMessageEventSchema>, GroupMessageEvent>>,
  Mirrors<Same<z.output<typeof GroupEndedEventSchema>, GroupEndedEvent>>,
  Mirrors<Same<z.output<typeof GroupJoinedSchema>, GroupJoined>>,
  Mirrors<Same<z.output<typeof GroupSpokenSchema>, GroupSpoken>>,
  Mirrors<Same<z.output<typeof HubStatusSchema>, HubStatus>>,
  Mirrors<Same<z.output<typeof ShutdownNoticeSchema>, ShutdownNotice>>,
  Mirrors<Same<z.output<typeof MetricsSampleSchema>, MetricsSample>>,
  Mirrors<Same<z.output<typeof MetricsHistorySchema>, MetricsHistory>>,
  Mirrors<Same<z.output<typeof MetricsSamplePushSchema>, MetricsSamplePush>>,
  Mirrors<Same<z.output<typeof AgentSubscriptionSchema>, AgentSubscription>>,
  Mirrors<Same<z.output<typeof AgentSubscriptionsSchema>, AgentSubscriptions>>,
  Mirrors<Same<z.output<typeof AgentHandshakeSchema>, AgentHandshake>>,
  Mirrors<Same<z.output<typeof OperatorHandshakeSchema>, OperatorHandshake>>,
];
