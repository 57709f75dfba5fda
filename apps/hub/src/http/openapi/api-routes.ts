import { z } from 'zod';
import {
  AddTask,
  AgentId,
  AppendMessages,
  CompleteTask,
  CreateGroup,
  CreateSession,
  DeadLetterQuery,
  EndGroup,
  EventId,
  FailTask,
  GroupListQuery,
  HistoryQuery,
  IssueAgentToken,
  RevokeAgentTokens,
  IssuedOperatorToken,
  CreateOperatorToken,
  OperatorIdentity,
  OperatorTokenInfo,
  OperatorMessage,
  PickSpeaker,
  PublishEvent,
  ResolveDeadLetter,
  SessionListQuery,
  SetAgentState,
  UpdateSession,
  Uuid,
  type ErrorCode,
} from '@agent-hub/protocol';
import * as wire from '@agent-hub/protocol/catalog';
import type { DegradationState, PickTiming } from '@agent-hub/core';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One `/api` route as the OpenAPI document tells it: what goes in, what comes back, which errors. */
export interface ApiRoute {
  method: HttpMethod;
  /** Hono's form (`/api/sessions/:id`), as the app registers it. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; optional?: boolean };
  ifMatch?: boolean;
  ok: { status: 200 | 201 | 204; description: string; schema?: z.ZodType; etag?: boolean };
  /** Codes this route answers besides those every route may (see COMMON_ERRORS). */
  errors?: ErrorCode[];
}

/** Any `/api` request may fail these ways (token, body checks, limits, overload, store, bugs). */
export const COMMON_ERRORS: ErrorCode[] = [
  'UNAUTHENTICATED',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'STORE_UNAVAILABLE',
  'INTERNAL',
];

const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
const SessionId = { id: Uuid };
const GroupId = { id: Uuid };
const TaskRef = { id: Uuid, taskId: z.string() };
const TASK_ERRORS: ErrorCode[] = ['GROUP_NOT_FOUND', 'TASK_NOT_FOUND', 'TASK_STATE_INVALID'];

/** `GET /api/degradation` (the core's DegradationState; `since` is epoch ms). */
const Degradation = z.object({
  degraded: z.boolean(),
  reason: z.string().nullable(),
  since: z.number().nullable(),
  sessionLimit: z.number().int(),
});
const Pick = z.object({ group: wire.GroupSchema, appliesAt: z.enum(['now', 'next-turn', 'on-resume']) });
const SessionView = wire.SessionSchema.extend({ messages: z.array(wire.SessionMessageSchema).optional() }).describe(
  'the session, with its messages unless history=false',
);

// The two answers above mirror core types: keep them equal.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;
export type CoreMirrorChecks = [
  Holds<Same<z.output<typeof Degradation>, DegradationState>>,
  Holds<Same<z.output<typeof Pick>['appliesAt'], PickTiming>>,
];

export const API_ROUTES: ApiRoute[] = [
  // Hub.
  {
    method: 'get',
    path: '/api/status',
    tag: 'hub',
    summary: 'Hub status',
    ok: { status: 200, description: 'degraded mode, session limit, store state', schema: wire.HubStatusSchema },
  },
  {
    method: 'get',
    path: '/api/degradation',
    tag: 'hub',
    summary: 'Degraded mode state',
    ok: { status: 200, description: 'degraded mode', schema: Degradation },
  },
  {
    method: 'get',
    path: '/api/metrics/history',
    tag: 'hub',
    summary: "This node's chart samples",
    description: 'The last 15 minutes, oldest first; per node.',
    ok: { status: 200, description: 'samples', schema: wire.MetricsHistorySchema },
  },

  // Operator credentials (admin, but /api/me: any credential).
  {
    method: 'get',
    path: '/api/me',
    tag: 'operators',
    summary: 'Who this token is',
    description: "The credential's name and scopes (the dashboard hides what it may not do).",
    ok: { status: 200, description: 'name and scopes', schema: OperatorIdentity },
  },
  {
    method: 'get',
    path: '/api/operators/tokens',
    tag: 'operators',
    summary: 'List operator credentials',
    ok: {
      status: 200,
      description: 'the built-in admin token first, then oldest first; revoked ones marked',
      schema: items(OperatorTokenInfo),
    },
  },
  {
    method: 'post',
    path: '/api/operators/tokens',
    tag: 'operators',
    summary: 'Create an operator credential',
    body: { schema: CreateOperatorToken },
    errors: ['VERSION_CONFLICT'],
    ok: { status: 201, description: 'the credential and its token (shown this once)', schema: IssuedOperatorToken },
  },
  {
    method: 'post',
    path: '/api/operators/tokens/:id/revoke',
    tag: 'operators',
    summary: 'Revoke an operator credential',
    description: 'By id or by name; refused at once on every node, and its dashboards are disconnected.',
    params: { id: z.string() },
    errors: ['NOT_FOUND'],
    ok: { status: 200, description: 'the credential, revoked', schema: OperatorTokenInfo },
  },

  // Agents.
  {
    method: 'post',
    path: '/api/agents/tokens',
    tag: 'agents',
    summary: 'Issue an agent token',
    body: { schema: IssueAgentToken },
    ok: { status: 201, description: 'an ah2 token for the agent id, with its id, key id and expiry', schema: wire.AgentTokenSchema },
  },
  {
    method: 'post',
    path: '/api/agents/tokens/revoke',
    tag: 'agents',
    summary: 'Revoke one agent token, or every token of an agent',
    description: 'Refused at connect from now on; connections holding it are closed on every node within 2 s.',
    body: { schema: RevokeAgentTokens },
    ok: { status: 200, description: 'the revocation', schema: wire.AgentTokenRevocationSchema },
  },
  {
    method: 'get',
    path: '/api/agents',
    tag: 'agents',
    summary: 'List agents',
    ok: { status: 200, description: 'every known agent', schema: items(wire.AgentInfoSchema) },
  },
  {
    method: 'get',
    path: '/api/agents/:id',
    tag: 'agents',
    summary: 'Get an agent',
    params: { id: AgentId },
    errors: ['AGENT_NOT_FOUND'],
    ok: {
      status: 200,
      description: 'the agent and its last 50 health transitions',
      schema: wire.AgentInfoSchema.extend({ history: z.array(wire.HealthTransitionSchema) }),
    },
  },
  {
    method: 'get',
    path: '/api/agents/:id/health',
    tag: 'agents',
    summary: "An agent's health",
    params: { id: AgentId },
    errors: ['AGENT_NOT_FOUND'],
    ok: {
      status: 200,
      description: 'the agent and its last 50 health transitions',
      schema: z.object({ agent: wire.AgentInfoSchema, history: z.array(wire.HealthTransitionSchema) }),
    },
  },
  {
    method: 'get',
    path: '/api/agents/:id/subscriptions',
    tag: 'agents',
    summary: "An agent's subscriptions and lag",
    params: { id: AgentId },
    errors: ['AGENT_NOT_FOUND'],
    ok: { status: 200, description: 'what the agent listens to and how far behind it is', schema: wire.AgentSubscriptionsSchema },
  },
  {
    method: 'get',
    path: '/api/health/transitions',
    tag: 'agents',
    summary: 'Recent health transitions',
    ok: { status: 200, description: "every agent's, newest first (last 50)", schema: items(wire.HealthTransitionSchema) },
  },

  // Sessions.
  {
    method: 'post',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'Create a session',
    body: { schema: CreateSession },
    errors: ['HUB_DEGRADED', 'SESSION_LIMIT_REACHED'],
    ok: { status: 201, description: 'the session and its messages', schema: wire.SessionWithHistorySchema },
  },
  {
    method: 'get',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'List sessions',
    query: SessionListQuery,
    ok: { status: 200, description: 'newest first', schema: page(wire.SessionSchema) },
  },
  {
    method: 'get',
    path: '/api/sessions/:id',
    tag: 'sessions',
    summary: 'Get a session',
    params: SessionId,
    errors: ['SESSION_NOT_FOUND'],
    query: z.object({ history: z.enum(['true', 'false']).optional().describe('false: leave the messages out') }),
    ok: { status: 200, description: 'the session', schema: SessionView, etag: true },
  },
  {
    method: 'get',
    path: '/api/sessions/:id/messages',
    tag: 'sessions',
    summary: "A session's messages",
    params: SessionId,
    query: HistoryQuery,
    errors: ['SESSION_NOT_FOUND'],
    ok: { status: 200, description: 'messages after afterSeq', schema: items(wire.SessionMessageSchema) },
  },
  {
    method: 'patch',
    path: '/api/sessions/:id',
    tag: 'sessions',
    summary: 'Update a session',
    description: 'Compare-and-set: send the version it is based on in If-Match or in the body.',
    params: SessionId,
    ifMatch: true,
    body: { schema: UpdateSession.partial({ version: true }) },
    errors: ['SESSION_NOT_FOUND', 'SESSION_VERSION_CONFLICT', 'SESSION_EXPIRED'],
    ok: { status: 200, description: 'the updated session', schema: wire.SessionSchema, etag: true },
  },
  {
    method: 'post',
    path: '/api/sessions/:id/messages',
    tag: 'sessions',
    summary: 'Append messages',
    description: 'Idempotent by message id; `pending` while the store is down.',
    params: SessionId,
    ifMatch: true,
    body: { schema: AppendMessages },
    errors: ['SESSION_NOT_FOUND', 'SESSION_VERSION_CONFLICT', 'SESSION_EXPIRED', 'SESSION_MESSAGE_ID_CONFLICT'],
    ok: { status: 201, description: 'the stored messages and the session', schema: wire.AppendResultSchema },
  },
  {
    method: 'put',
    path: '/api/sessions/:id/agents/:agentId/state',
    tag: 'sessions',
    summary: "Set an agent's state in a session",
    params: { ...SessionId, agentId: AgentId },
    ifMatch: true,
    body: { schema: SetAgentState },
    errors: ['SESSION_NOT_FOUND', 'SESSION_VERSION_CONFLICT', 'SESSION_EXPIRED'],
    ok: { status: 200, description: 'the session', schema: wire.SessionSchema },
  },
  {
    method: 'delete',
    path: '/api/sessions/:id',
    tag: 'sessions',
    summary: 'Delete a session',
    params: SessionId,
    errors: ['SESSION_NOT_FOUND'],
    ok: { status: 204, description: 'deleted' },
  },

  // Events.
  {
    method: 'post',
    path: '/api/events',
    tag: 'events',
    summary: 'Publish an event',
    description: 'Published as `operator`.',
    body: { schema: PublishEvent },
    errors: ['TOPIC_INVALID'],
    ok: { status: 201, description: 'where the event went', schema: wire.PublishResultSchema },
  },
  {
    method: 'get',
    path: '/api/events',
    tag: 'events',
    summary: 'Query the event log',
    query: wire.EventQuery,
    ok: {
      status: 200,
      description: 'events in offset order',
      schema: z.object({ items: z.array(wire.HubEventSchema), lastOffset: z.number().int(), watermark: z.number().int() }),
    },
  },
  {
    method: 'get',
    path: '/api/events/deadletters',
    tag: 'events',
    summary: 'List dead letters (older path)',
    description: 'The same list as GET /api/deadletters without a filter.',
    ok: { status: 200, description: 'the latest 200', schema: items(wire.DeadLetterSchema) },
  },
  {
    method: 'get',
    path: '/api/deadletters',
    tag: 'events',
    summary: 'List dead letters',
    query: DeadLetterQuery,
    ok: { status: 200, description: 'newest first', schema: items(wire.DeadLetterSchema) },
  },
  {
    method: 'post',
    path: '/api/deadletters/:id/retry',
    tag: 'events',
    summary: 'Retry a dead letter',
    description: 'Redelivers the event to the agent that gave up on it.',
    params: { id: EventId },
    body: { schema: ResolveDeadLetter, optional: true },
    errors: [
      'DEAD_LETTER_NOT_FOUND',
      'DEAD_LETTER_RESOLVED',
      'EVENT_NOT_FOUND',
      'AGENT_OFFLINE',
      'AGENT_NOT_SUBSCRIBED',
      'REQUEST_TIMEOUT',
    ],
    ok: { status: 200, description: 'the dead letter, retried', schema: wire.DeadLetterSchema },
  },
  {
    method: 'post',
    path: '/api/deadletters/:id/discard',
    tag: 'events',
    summary: 'Discard a dead letter',
    params: { id: EventId },
    body: { schema: ResolveDeadLetter, optional: true },
    errors: ['DEAD_LETTER_NOT_FOUND', 'DEAD_LETTER_RESOLVED'],
    ok: { status: 200, description: 'the dead letter, discarded', schema: wire.DeadLetterSchema },
  },

  // Groups.
  {
    method: 'post',
    path: '/api/groups',
    tag: 'groups',
    summary: 'Create a group',
    body: { schema: CreateGroup },
    errors: ['GROUP_SIZE_INVALID'],
    ok: { status: 201, description: 'the group', schema: wire.GroupSchema },
  },
  {
    method: 'get',
    path: '/api/groups',
    tag: 'groups',
    summary: 'List groups',
    query: GroupListQuery,
    ok: { status: 200, description: 'groups', schema: items(wire.GroupSchema) },
  },
  {
    method: 'get',
    path: '/api/groups/:id',
    tag: 'groups',
    summary: 'Get a group',
    params: GroupId,
    errors: ['GROUP_NOT_FOUND'],
    ok: { status: 200, description: 'the group', schema: wire.GroupSchema },
  },
  {
    method: 'post',
    path: '/api/groups/:id/end',
    tag: 'groups',
    summary: 'End a group',
    params: GroupId,
    body: { schema: EndGroup, optional: true },
    errors: ['GROUP_NOT_FOUND', 'GROUP_ENDED'],
    ok: { status: 200, description: 'the ended group', schema: wire.GroupSchema },
  },
  ...(['pause', 'resume'] as const).map((action): ApiRoute => ({
    method: 'post',
    path: `/api/groups/:id/${action}`,
    tag: 'groups',
    summary: action === 'pause' ? 'Pause a group' : 'Resume a group',
    params: GroupId,
    errors: ['GROUP_NOT_FOUND', 'GROUP_ENDED'],
    ok: { status: 200, description: 'the group', schema: wire.GroupSchema },
  })),
  {
    method: 'post',
    path: '/api/groups/:id/next',
    tag: 'groups',
    summary: 'Pick the next speaker',
    params: GroupId,
    body: { schema: PickSpeaker },
    errors: ['GROUP_NOT_FOUND', 'GROUP_ENDED', 'GROUP_NOT_MEMBER'],
    ok: { status: 200, description: 'the group and when the pick applies', schema: Pick },
  },
  {
    method: 'post',
    path: '/api/groups/:id/messages',
    tag: 'groups',
    summary: 'Post an operator message',
    params: GroupId,
    body: { schema: OperatorMessage },
    errors: ['GROUP_NOT_FOUND', 'GROUP_ENDED'],
    ok: { status: 201, description: 'the stored message', schema: wire.SessionMessageSchema },
  },
  {
    method: 'get',
    path: '/api/groups/:id/tasks',
    tag: 'groups',
    summary: "A group's tasks",
    params: GroupId,
    errors: ['GROUP_NOT_FOUND'],
    ok: {
      status: 200,
      description: 'tasks and a summary',
      schema: z.object({ items: z.array(wire.GroupTaskSchema), summary: wire.TaskSummarySchema }),
    },
  },
  {
    method: 'post',
    path: '/api/groups/:id/tasks',
    tag: 'groups',
    summary: 'Add a task',
    params: GroupId,
    body: { schema: AddTask },
    errors: ['GROUP_NOT_FOUND', 'GROUP_ENDED'],
    ok: { status: 201, description: 'the task', schema: wire.GroupTaskSchema },
  },
  ...(['claim', 'extend'] as const).map((action): ApiRoute => ({
    method: 'post',
    path: `/api/groups/:id/tasks/:taskId/${action}`,
    tag: 'groups',
    summary: action === 'claim' ? 'Claim a task for an agent' : "Extend a claim's lease",
    params: TaskRef,
    body: { schema: z.object({ agentId: AgentId }) },
    errors: TASK_ERRORS,
    ok: { status: 200, description: 'the task', schema: wire.GroupTaskSchema },
  })),
  {
    method: 'post',
    path: '/api/groups/:id/tasks/:taskId/complete',
    tag: 'groups',
    summary: 'Complete a task',
    params: TaskRef,
    body: { schema: CompleteTask, optional: true },
    errors: TASK_ERRORS,
    ok: { status: 200, description: 'the task', schema: wire.GroupTaskSchema },
  },
  {
    method: 'post',
    path: '/api/groups/:id/tasks/:taskId/fail',
    tag: 'groups',
    summary: 'Fail a task',
    params: TaskRef,
    body: { schema: FailTask },
    errors: TASK_ERRORS,
    ok: { status: 200, description: 'the task', schema: wire.GroupTaskSchema },
  },
];
