import { z } from 'zod';
import { LivenessReport, RefreshAgentToken, RegisterAgent, ReplayReport } from '../agents.ts';
import { AckEvents, NackEvent, PublishBatch, PublishEvent, Subscribe, Unsubscribe } from '../events.ts';
import { CreateSession, SessionListQuery } from '../sessions.ts';
import { DeleteCheckpointThread, GetCheckpoint, ListCheckpoints, PutCheckpoint, PutCheckpointWrites } from '../checkpoints.ts';
import { GroupRef, GroupSpeak, GroupTaskAction } from '../groups.ts';
import type { AgentClientEvents, AgentServerEvents, OperatorClientEvents, OperatorServerEvents } from '../socket.ts';
import * as answers from './answers.ts';
import { AppendMessagesById, EventsWatch, GetSession, NoInput, SetAgentStateById, UpdateSessionById } from './payloads.ts';

/** One Socket.IO event: its payload and, when the receiver acknowledges it, what the ack carries. */
export interface SocketMessage {
  summary: string;
  payload: z.ZodType;
  /** The data of an `{ ok: true, data }` ack (failures are `{ ok: false, error: ErrorBody }`). */
  ack?: z.ZodType;
  /** The receiver answers with this schema itself, not an `Ack` envelope (the liveness probe). */
  reply?: z.ZodType;
}

const list = <T extends z.ZodType>(item: T) => z.array(item);
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
const Patterns = z.object({ patterns: z.array(z.string()) });
const TaskList = z.object({ items: z.array(answers.GroupTaskSchema), summary: answers.TaskSummarySchema });
const RestoredState = z.object({ sessionId: z.string(), version: z.number().int(), state: z.unknown() });

/**
 * The event maps of ../socket.ts as data. Each table is keyed by its map's event names, so an
 * event added to a map and not here (or the other way round) fails the build.
 */
export const agentClientMessages: Record<keyof AgentClientEvents, SocketMessage> = {
  'agent:register': { summary: 'register (must come first on every connection)', payload: RegisterAgent, ack: answers.AgentInfoSchema },
  'agent:replay-report': { summary: 'report how a catch-up replay went', payload: ReplayReport, ack: answers.AgentInfoSchema },
  'agent:restore': { summary: "this agent's saved state per live session", payload: NoInput, ack: list(RestoredState) },
  'auth:refresh': {
    summary: "replace this connection's token with a newer one of the same agent (before it expires)",
    payload: RefreshAgentToken,
    ack: z.object({ expiresAt: z.string().nullable() }),
  },
  'session:create': {
    summary: 'create a session (the agent is always a member)',
    payload: CreateSession,
    ack: answers.SessionWithHistorySchema,
  },
  'session:get': { summary: 'read a session', payload: GetSession, ack: answers.SessionWithHistorySchema },
  'session:list': { summary: "list this agent's sessions", payload: SessionListQuery, ack: page(answers.SessionSchema) },
  'session:update': {
    summary: 'change metadata, members or state (compare-and-set on version)',
    payload: UpdateSessionById,
    ack: answers.SessionSchema,
  },
  'session:append': { summary: 'append messages (idempotent by message id)', payload: AppendMessagesById, ack: answers.AppendResultSchema },
  'session:state': { summary: "set this agent's entry in agentState", payload: SetAgentStateById, ack: answers.SessionSchema },
  'event:publish': { summary: 'publish an event', payload: PublishEvent, ack: answers.PublishResultSchema },
  'event:publish-batch': {
    summary: 'publish several events, each answered on its own, in order',
    payload: PublishBatch,
    ack: z.object({
      results: z.array(
        z.union([
          z.object({ ok: z.literal(true), data: answers.PublishResultSchema }),
          z.object({ ok: z.literal(false), error: answers.ErrorBodySchema }),
        ]),
      ),
    }),
  },
  'event:subscribe': {
    summary: 'subscribe; replayed events arrive before the ack',
    payload: Subscribe,
    ack: answers.SubscribeResultSchema,
  },
  'event:unsubscribe': { summary: 'unsubscribe', payload: Unsubscribe, ack: Patterns },
  'event:ack': { summary: 'highest offset fully processed (no ack)', payload: AckEvents },
  'event:nack': { summary: 'give up on an event: it becomes a dead letter', payload: NackEvent, ack: answers.DeadLetterSchema },
  'group:speak': { summary: 'speak in the turn granted', payload: GroupSpeak, ack: answers.GroupSpokenSchema },
  'group:join': { summary: 'join a group (its shared context so far)', payload: GroupRef, ack: answers.GroupJoinedSchema },
  'group:leave': { summary: 'leave a group', payload: GroupRef, ack: answers.GroupSchema },
  'group:task': {
    summary: "one action on a group's task queue",
    payload: GroupTaskAction,
    ack: z.union([answers.GroupTaskSchema, TaskList]),
  },
  'checkpoint:put': {
    summary: 'store a graph checkpoint (LangGraph saver)',
    payload: PutCheckpoint,
    ack: z.object({ threadId: z.string(), namespace: z.string(), id: z.string() }),
  },
  'checkpoint:put-writes': {
    summary: "store a task's pending writes against a checkpoint",
    payload: PutCheckpointWrites,
    ack: z.object({ stored: z.number().int() }),
  },
  'checkpoint:get': {
    summary: 'a checkpoint with its writes (the newest without an id)',
    payload: GetCheckpoint,
    ack: answers.StoredCheckpointSchema.nullable(),
  },
  'checkpoint:list': {
    summary: 'checkpoints newest first, filtered, paged by cursor',
    payload: ListCheckpoints,
    ack: answers.CheckpointPageSchema,
  },
  'checkpoint:delete-thread': {
    summary: "delete a thread's checkpoints and writes",
    payload: DeleteCheckpointThread,
    ack: z.object({ deleted: z.number().int() }),
  },
};

export const agentServerMessages: Record<keyof AgentServerEvents, SocketMessage> = {
  event: { summary: 'an event on a subscribed topic', payload: answers.HubEventSchema },
  events: { summary: 'several events at once, in offset order (replay pages)', payload: list(answers.HubEventSchema) },
  'hub:shutdown': { summary: 'this node is stopping: reconnect after reconnectAfterMs', payload: answers.ShutdownNoticeSchema },
  'event:watermark': { summary: 'the committed watermark advanced', payload: z.object({ offset: z.number().int() }) },
  'event:durable': { summary: 'events published with durable: false are committed now', payload: z.object({ ids: z.array(z.string()) }) },
  'event:redeliver': {
    summary: 'an operator retried a dead letter: run its handlers again',
    payload: answers.RedeliverySchema,
    ack: answers.RedeliveryReceiptSchema,
  },
  'hub:error': { summary: 'an error not tied to an ack', payload: z.object({ code: z.string(), message: z.string() }) },
  'liveness:probe': { summary: 'answer with a liveness report', payload: z.object({ at: z.string() }), reply: LivenessReport },
  'agent:restart': { summary: 'recovery asks the agent to restart', payload: z.object({ reason: z.string() }) },
  'agent:assigned': {
    summary: "replace recovery: this agent now holds the failed agent's sessions",
    payload: z.object({ replaces: z.string(), sessions: z.array(z.string()) }),
  },
  'group:turn': { summary: 'your turn: answer with group:speak carrying turnId', payload: answers.GroupTurnGrantSchema },
  'group:message': { summary: 'a message in a group this agent is in', payload: answers.GroupMessageEventSchema },
  'group:ended': { summary: 'a group this agent is in ended', payload: answers.GroupEndedEventSchema },
};

export const operatorClientMessages: Record<keyof OperatorClientEvents, SocketMessage> = {
  'events:watch': { summary: 'stream events matching a pattern (null: stop)', payload: EventsWatch, ack: EventsWatch },
};

export const operatorServerMessages: Record<keyof OperatorServerEvents, SocketMessage> = {
  'agents:snapshot': { summary: 'every agent, on connect', payload: list(answers.AgentInfoSchema) },
  'agent:update': { summary: 'an agent changed', payload: answers.AgentInfoSchema },
  'agent:removed': { summary: 'an agent was removed', payload: z.object({ id: z.string() }) },
  'health:transition': { summary: 'an agent changed health state', payload: answers.HealthTransitionSchema },
  'hub:status': { summary: 'the hub status changed', payload: answers.HubStatusSchema },
  'session:update': { summary: 'a session changed', payload: answers.SessionSchema },
  'session:removed': { summary: 'a session was removed', payload: z.object({ id: z.string() }) },
  'event:stream': { summary: 'an event matching the watched pattern', payload: answers.HubEventSchema },
  'deadletter:new': { summary: 'an event was dead-lettered', payload: answers.DeadLetterSchema },
  'deadletter:update': { summary: "a dead letter's status changed (retried, discarded, reopened)", payload: answers.DeadLetterSchema },
  'group:update': { summary: 'a group changed', payload: answers.GroupSchema },
  'metrics:sample': { summary: "a new sample of this node's charts", payload: answers.MetricsSamplePushSchema },
  'hub:error': {
    summary: 'an event refused without an ack (outside the credential scope: FORBIDDEN)',
    payload: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  },
};
