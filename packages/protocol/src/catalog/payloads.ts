import {
  AuditEntry,
  CreateOperatorToken,
  IssuedOperatorToken,
  OperatorIdentity,
  OperatorScope,
  OperatorTokenInfo,
} from '../operator-access.ts';
import { z } from 'zod';
import {
  Capability,
  HealthState,
  IssueAgentToken,
  LivenessReport,
  RecoveryStrategy,
  RefreshAgentToken,
  RegisterAgent,
  ReplayReport,
  RevokeAgentTokens,
} from '../agents.ts';
import { AgentId, JsonObject, Uuid } from '../common.ts';
import {
  AckEvents,
  DeadLetterQuery,
  DeadLetterStatus,
  EventId,
  NackEvent,
  Priority,
  PublishEvent,
  ReplayPolicy,
  ReplayQuery,
  ResolveDeadLetter,
  Subscribe,
  Topic,
  TopicPattern,
  Unsubscribe,
} from '../events.ts';
import {
  AddTask,
  CompleteTask,
  CreateGroup,
  EndGroup,
  FailTask,
  GroupListQuery,
  GroupRef,
  GroupSpeak,
  GroupStrategy,
  GroupTaskAction,
  OperatorMessage,
  PickSpeaker,
} from '../groups.ts';
import { LIMITS } from '../limits.ts';
import {
  AppendMessages,
  CreateSession,
  HistoryQuery,
  MessageId,
  MessageRole,
  NewMessage,
  SessionListQuery,
  SessionState,
  SetAgentState,
  UpdateSession,
} from '../sessions.ts';
import { ContentPart, MessageContent, ToolCall } from '../chat-message.ts';
import {
  CheckpointBlob,
  CheckpointWrite,
  DeleteCheckpointThread,
  GetCheckpoint,
  ListCheckpoints,
  PutCheckpoint,
  PutCheckpointWrites,
} from '../checkpoints.ts';
import * as answers from './answers.ts';

/** Metadata of a catalogued schema: its name, and JSON Schema keywords the zod schema cannot say. */
export interface PayloadMeta {
  id: string;
  description?: string;
  pattern?: string;
  maxLength?: number;
  [keyword: string]: unknown;
}

const SEGMENT = '[A-Za-z0-9_.-]+';
const MORE_SEGMENTS = `{0,${LIMITS.topicSegmentsMax - 1}}`;
/** The first segment of the hub's own topics (`$hub:audit`). */
const HUB = '\\$hub';

/** Socket payloads that name a session: the session's id next to the operation's own fields. */
const SessionIdRef = z.object({ id: Uuid });
export const GetSession = SessionIdRef.extend({ history: z.boolean().default(true) });
export const UpdateSessionById = SessionIdRef.extend(UpdateSession.shape);
export const AppendMessagesById = SessionIdRef.extend(AppendMessages.shape);
export const SetAgentStateById = SessionIdRef.extend(SetAgentState.shape);
/** `GET /api/events`: ReplayQuery with the patterns comma-separated in one query parameter. */
export const EventQuery = ReplayQuery.extend({ patterns: z.string().optional().describe('comma-separated topic patterns') });
export const EventsWatch = z.object({ pattern: TopicPattern.nullable() });
export const NoInput = z.object({});

/**
 * Every payload of the protocol, by name: what clients send (the zod schemas the hub validates
 * with) and what the hub answers (./answers.ts). The JSON Schema files, the OpenAPI and the
 * AsyncAPI documents are all generated from this one registry; a schema used inside another is
 * a `$ref` to its own entry.
 */
export const payloads = z.registry<PayloadMeta>();

const entries: Array<[z.ZodType, PayloadMeta]> = [
  // Shared pieces.
  [AgentId, { id: 'AgentId' }],
  [Uuid, { id: 'Uuid' }],
  [EventId, { id: 'EventId', description: 'a UUID or ULID; supply your own to make publish retries idempotent' }],
  [MessageId, { id: 'MessageId' }],
  [JsonObject, { id: 'JsonObject' }],
  [
    Topic,
    {
      id: 'Topic',
      description:
        '`:`-separated segments of letters, digits, "_", "." and "-" (e.g. `orders:eu:created`); the hub\'s own topics start with `$hub:` (e.g. `$hub:audit`)',
      maxLength: LIMITS.topicMax,
      pattern: `^(${SEGMENT}(:${SEGMENT})${MORE_SEGMENTS}|${HUB}(:${SEGMENT}){1,${LIMITS.topicSegmentsMax - 1}})$`,
    },
  ],
  [
    TopicPattern,
    {
      id: 'TopicPattern',
      description: 'a topic whose last segment may be `*` (exactly one segment) or `#` (one or more); a lone `#` matches every topic',
      maxLength: LIMITS.topicMax,
      pattern: `^(#|${SEGMENT}(:${SEGMENT})${MORE_SEGMENTS}|(${SEGMENT}:){1,${LIMITS.topicSegmentsMax - 1}}[*#]|${HUB}(:${SEGMENT}){1,${LIMITS.topicSegmentsMax - 1}}|${HUB}(:${SEGMENT}){0,${LIMITS.topicSegmentsMax - 2}}:[*#])$`,
    },
  ],
  [Priority, { id: 'Priority' }],
  [Capability, { id: 'Capability' }],
  [HealthState, { id: 'HealthState' }],
  [RecoveryStrategy, { id: 'RecoveryStrategy' }],
  [ReplayPolicy, { id: 'ReplayPolicy' }],
  [MessageRole, { id: 'MessageRole' }],
  [SessionState, { id: 'SessionState' }],
  [GroupStrategy, { id: 'GroupStrategy' }],
  [DeadLetterStatus, { id: 'DeadLetterStatus' }],
  [ContentPart, { id: 'ContentPart' }],
  [ToolCall, { id: 'ToolCall' }],
  [MessageContent, { id: 'MessageContent' }],
  [NewMessage, { id: 'NewMessage' }],
  [answers.ErrorBodySchema, { id: 'ErrorBody', description: 'every error, in HTTP bodies (`{error}`) and socket acks alike' }],

  // Agents.
  [RegisterAgent, { id: 'RegisterAgent', description: 'first message an agent sends after connecting' }],
  [IssueAgentToken, { id: 'IssueAgentToken' }],
  [LivenessReport, { id: 'LivenessReport', description: "an agent's answer to the hub's liveness probe" }],
  [ReplayReport, { id: 'ReplayReport' }],
  [answers.AgentInfoSchema, { id: 'AgentInfo' }],
  [answers.AgentTokenSchema, { id: 'AgentToken' }],
  [answers.AgentTokenRevocationSchema, { id: 'AgentTokenRevocation' }],
  [RevokeAgentTokens, { id: 'RevokeAgentTokens' }],
  [RefreshAgentToken, { id: 'RefreshAgentToken' }],
  [answers.HealthTransitionSchema, { id: 'HealthTransition' }],
  [answers.HubStatusSchema, { id: 'HubStatus' }],
  [answers.ShutdownNoticeSchema, { id: 'ShutdownNotice' }],
  [answers.AgentHandshakeSchema, { id: 'AgentHandshake' }],
  [answers.AgentSubscriptionSchema, { id: 'AgentSubscription' }],
  [answers.AgentSubscriptionsSchema, { id: 'AgentSubscriptions' }],
  [answers.MetricsSampleSchema, { id: 'MetricsSample' }],
  [answers.MetricsHistorySchema, { id: 'MetricsHistory' }],
  [answers.MetricsSamplePushSchema, { id: 'MetricsSamplePush' }],
  [answers.OperatorHandshakeSchema, { id: 'OperatorHandshake' }],

  // Operators.
  [
    OperatorScope,
    {
      id: 'OperatorScope',
      description:
        '`read` (view), `operate` (act on groups, dead letters, sessions, events), `admin` (credentials, deletes, configuration); each includes the ones before it',
    },
  ],
  [CreateOperatorToken, { id: 'CreateOperatorToken' }],
  [
    OperatorTokenInfo,
    { id: 'OperatorTokenInfo', description: 'an operator credential as listed (the hub keeps only a hash of its token)' },
  ],
  [IssuedOperatorToken, { id: 'IssuedOperatorToken', description: 'a new credential with its token: shown this once' }],
  [OperatorIdentity, { id: 'OperatorIdentity' }],
  [AuditEntry, { id: 'AuditEntry', description: 'the payload of an event on `$hub:audit`' }],

  // Events.
  [PublishEvent, { id: 'PublishEvent' }],
  [Subscribe, { id: 'Subscribe' }],
  [Unsubscribe, { id: 'Unsubscribe' }],
  [AckEvents, { id: 'AckEvents' }],
  [NackEvent, { id: 'NackEvent' }],
  [EventQuery, { id: 'EventQuery' }],
  [EventsWatch, { id: 'EventsWatch' }],
  [DeadLetterQuery, { id: 'DeadLetterQuery' }],
  [ResolveDeadLetter, { id: 'ResolveDeadLetter' }],
  [answers.HubEventSchema, { id: 'HubEvent' }],
  [answers.PublishResultSchema, { id: 'PublishResult' }],
  [answers.SubscribeResultSchema, { id: 'SubscribeResult' }],
  [answers.DeadLetterSchema, { id: 'DeadLetter' }],
  [answers.RedeliverySchema, { id: 'Redelivery' }],
  [answers.RedeliveryReceiptSchema, { id: 'RedeliveryReceipt' }],

  // Sessions.
  [CreateSession, { id: 'CreateSession' }],
  [UpdateSession, { id: 'UpdateSession' }],
  [AppendMessages, { id: 'AppendMessages' }],
  [SetAgentState, { id: 'SetAgentState' }],
  [SessionListQuery, { id: 'SessionListQuery' }],
  [HistoryQuery, { id: 'HistoryQuery' }],
  [GetSession, { id: 'GetSession' }],
  [UpdateSessionById, { id: 'UpdateSessionById' }],
  [AppendMessagesById, { id: 'AppendMessagesById' }],
  [SetAgentStateById, { id: 'SetAgentStateById' }],
  [answers.SessionMessageSchema, { id: 'SessionMessage' }],
  [answers.SessionSchema, { id: 'Session' }],
  [answers.SessionWithHistorySchema, { id: 'SessionWithHistory' }],
  [answers.AppendResultSchema, { id: 'AppendResult' }],

  // Checkpoints (LangGraph saver).
  [CheckpointBlob, { id: 'CheckpointBlob' }],
  [CheckpointWrite, { id: 'CheckpointWrite' }],
  [PutCheckpoint, { id: 'PutCheckpoint' }],
  [PutCheckpointWrites, { id: 'PutCheckpointWrites' }],
  [GetCheckpoint, { id: 'GetCheckpoint' }],
  [ListCheckpoints, { id: 'ListCheckpoints' }],
  [DeleteCheckpointThread, { id: 'DeleteCheckpointThread' }],
  [answers.StoredCheckpointSchema, { id: 'StoredCheckpoint' }],
  [answers.CheckpointPageSchema, { id: 'CheckpointPage' }],

  // Groups.
  [CreateGroup, { id: 'CreateGroup' }],
  [GroupListQuery, { id: 'GroupListQuery' }],
  [OperatorMessage, { id: 'OperatorMessage' }],
  [PickSpeaker, { id: 'PickSpeaker' }],
  [EndGroup, { id: 'EndGroup' }],
  [AddTask, { id: 'AddTask' }],
  [CompleteTask, { id: 'CompleteTask' }],
  [FailTask, { id: 'FailTask' }],
  [GroupRef, { id: 'GroupRef' }],
  [GroupSpeak, { id: 'GroupSpeak' }],
  [GroupTaskAction, { id: 'GroupTaskAction' }],
  [answers.GroupSchema, { id: 'Group' }],
  [answers.GroupSettingsSchema, { id: 'GroupSettings' }],
  [answers.GroupTurnSchema, { id: 'GroupTurn' }],
  [answers.RotationEntrySchema, { id: 'RotationEntry' }],
  [answers.GroupTaskSchema, { id: 'GroupTask' }],
  [answers.TaskSummarySchema, { id: 'TaskSummary' }],
  [answers.GroupTurnGrantSchema, { id: 'GroupTurnGrant' }],
  [answers.GroupMessageEventSchema, { id: 'GroupMessageEvent' }],
  [answers.GroupEndedEventSchema, { id: 'GroupEndedEvent' }],
  [answers.GroupJoinedSchema, { id: 'GroupJoined' }],
  [answers.GroupSpokenSchema, { id: 'GroupSpoken' }],
];
for (const [schema, meta] of entries) payloads.add(schema, meta);

export type JsonSchema = Record<string, unknown>;

/**
 * The catalogue as JSON Schema (draft 2020-12), one document per entry. `ref` turns an entry's
 * name into the `$ref` other documents use: a file name for docs/schemas, a component for OpenAPI.
 * Input shapes (`io: 'input'`): what a sender may leave out (fields with defaults) is optional.
 */
export function jsonSchemas(ref: (id: string) => string): Record<string, JsonSchema> {
  return z.toJSONSchema(payloads, { io: 'input', uri: ref, target: 'draft-2020-12', metadata: describedOrCatalogued }).schemas as Record<
    string,
    JsonSchema
  >;
}

/** The generator reads one registry's metadata: `.describe()` text (global) and the catalogue's, merged. */
const describedOrCatalogued = {
  get: (schema: z.ZodType) => {
    const described = z.globalRegistry.get(schema);
    const catalogued = payloads.get(schema);
    return described || catalogued ? { ...described, ...catalogued } : undefined;
  },
} as unknown as typeof payloads;

/**
 * One schema as JSON Schema inside a bigger document (OpenAPI, AsyncAPI): itself a `$ref` when it
 * is catalogued, else inlined with its catalogued parts as `$ref`s to `${base}<name>`.
 */
export function schemaIn(schema: z.ZodType, base: string): JsonSchema {
  const id = payloads.get(schema)?.id;
  if (id) return { $ref: base + id };
  const {
    $schema: _,
    $defs: __,
    ...rest
  } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', metadata: describedOrCatalogued }) as JsonSchema;
  // Every definition zod extracted is a catalogue entry (only those have ids), already in the document.
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', `"${base}`)) as JsonSchema;
}

/** The catalogue name of `schema`, for documents that point at an entry rather than inline it. */
export function payloadId(schema: z.ZodType): string {
  const id = payloads.get(schema)?.id;
  if (!id) throw new Error('schema is not in the payload catalogue (add it in catalog/payloads.ts)');
  return id;
}
