import type { Ack, AckCallback } from './ack.ts';
import type {
  CheckpointPage,
  DeleteCheckpointThread,
  GetCheckpoint,
  ListCheckpoints,
  PutCheckpoint,
  PutCheckpointWrites,
  StoredCheckpoint,
} from './checkpoints.ts';
import type { AgentInfo, HealthTransition, LivenessReport, RegisterAgent } from './agents.ts';
import type {
  DeadLetter,
  HubEvent,
  PublishBatch,
  PublishEvent,
  PublishResult,
  Redelivery,
  RedeliveryReceipt,
  Subscribe,
} from './events.ts';
import type {
  AppendMessages,
  AppendResult,
  CreateSession,
  Session,
  SessionListQuery,
  SessionWithHistory,
  SetAgentState,
  UpdateSession,
} from './sessions.ts';
import type { Page } from './common.ts';
import type { MetricsSamplePush } from './metrics-history.ts';
import type {
  Group,
  GroupEndedEvent,
  GroupJoined,
  GroupMessageEvent,
  GroupRef,
  GroupSpeak,
  GroupSpoken,
  GroupTask,
  GroupTaskAction,
  GroupTurnGrant,
  TaskSummary,
} from './groups.ts';

/** Namespaces the hub serves. */
export const AGENTS_NAMESPACE = '/agents';
export const OPERATORS_NAMESPACE = '/operators';

/**
 * The wire protocol's version, sent in the handshake `auth.protocol`. 2 added the committed
 * watermark, durable notices and publish re-sends; 3 lets the hub send live events that were
 * accepted together as one `events` message (earlier versions get one `event` each).
 */
export const PROTOCOL_VERSION = 3;
/** A client that sends no version is taken as 2: what every client spoke before 3. */
export const DEFAULT_PROTOCOL_VERSION = 2;
/** Versions this hub speaks (each earlier one is the next without its additions). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3];

/** What an agent sends in the Socket.IO handshake `auth`. */
export interface AgentHandshake {
  agentId: string;
  token: string;
  /** Where to resume: min(highest event offset processed, last watermark heard); clamped by the hub. */
  lastOffset?: number;
  /** Wire protocol version (default: the hub's current one). */
  protocol?: number;
}

/** `hub:shutdown`: this node is stopping; reconnect (to it or another node) after `reconnectAfterMs`. */
export interface ShutdownNotice {
  reason: string;
  /** This socket's own delay: the fleet is spread over a window so the restarted node is not stampeded. */
  reconnectAfterMs: number;
}

export interface OperatorHandshake {
  token: string;
}

export interface SubscribeResult {
  patterns: string[];
  /** Events replayed (already sent as `event` before this ack). */
  replayed: number;
  /** Offset the replay started after (the requested one, clamped to the watermark). */
  fromOffset: number;
  /**
   * The committed watermark once the replay was sent: every event of these patterns with an
   * offset up to it has now reached this connection (replayed or live). Resume after
   * min(highest offset processed, watermark) next time.
   */
  watermark: number;
}

export interface SessionIdRef {
  id: string;
}

/** Agent → hub. Every event takes an ack with `Ack<T>`. */
export interface AgentClientEvents {
  'agent:register': (p: RegisterAgent, ack: AckCallback<AgentInfo>) => void;
  'agent:replay-report': (p: { replayed: number; failed: number }, ack: AckCallback<AgentInfo>) => void;
  'agent:restore': (p: Record<string, never>, ack: AckCallback<Array<{ sessionId: string; version: number; state: unknown }>>) => void;
  'auth:refresh': (p: { token: string }, ack: AckCallback<{ expiresAt: string | null }>) => void;
  'session:create': (p: CreateSession, ack: AckCallback<Session>) => void;
  'session:get': (p: SessionIdRef & { history?: boolean }, ack: AckCallback<SessionWithHistory>) => void;
  'session:list': (p: SessionListQuery, ack: AckCallback<Page<Session>>) => void;
  'session:update': (p: SessionIdRef & UpdateSession, ack: AckCallback<Session>) => void;
  'session:append': (p: SessionIdRef & AppendMessages, ack: AckCallback<AppendResult>) => void;
  'session:state': (p: SessionIdRef & SetAgentState, ack: AckCallback<Session>) => void;
  'event:publish': (p: PublishEvent, ack: AckCallback<PublishResult>) => void;
  'event:publish-batch': (p: PublishBatch, ack: AckCallback<{ results: Array<Ack<PublishResult>> }>) => void;
  'event:subscribe': (p: Subscribe, ack: AckCallback<SubscribeResult>) => void;
  'event:unsubscribe': (p: { patterns: string[] }, ack: AckCallback<{ patterns: string[] }>) => void;
  'event:ack': (p: { offset: number; latencies?: number[] }) => void;
  'event:nack': (p: { id: string; offset: number; attempts: number; error: string }, ack: AckCallback<DeadLetter>) => void;
  'group:speak': (p: GroupSpeak, ack: AckCallback<GroupSpoken>) => void;
  'group:join': (p: GroupRef, ack: AckCallback<GroupJoined>) => void;
  'group:leave': (p: GroupRef, ack: AckCallback<Group>) => void;
  'group:task': (p: GroupTaskAction, ack: AckCallback<GroupTask | { items: GroupTask[]; summary: TaskSummary }>) => void;
  'checkpoint:put': (p: PutCheckpoint, ack: AckCallback<{ threadId: string; namespace: string; id: string }>) => void;
  'checkpoint:put-writes': (p: PutCheckpointWrites, ack: AckCallback<{ stored: number }>) => void;
  'checkpoint:get': (p: GetCheckpoint, ack: AckCallback<StoredCheckpoint | null>) => void;
  'checkpoint:list': (p: ListCheckpoints, ack: AckCallback<CheckpointPage>) => void;
  'checkpoint:delete-thread': (p: DeleteCheckpointThread, ack: AckCallback<{ deleted: number }>) => void;
}

/** The agent events answered through an ack (all but `event:ack`): what `AgentClient.call` sends. */
export type AgentRequestEvent = {
  // `AckCallback<never>` is the widest ack: every `AckCallback<T>` is assignable to it.
  [E in keyof AgentClientEvents]: Parameters<AgentClientEvents[E]> extends [unknown, AckCallback<never>] ? E : never;
}[keyof AgentClientEvents];
/** What an agent sends with request event `E`. */
export type AgentRequestPayload<E extends AgentRequestEvent> = Parameters<AgentClientEvents[E]>[0];
/** The ack data the hub answers request event `E` with. */
export type AgentRequestAnswer<E extends AgentRequestEvent> = Parameters<AgentClientEvents[E]>[1] extends AckCallback<infer T> ? T : never;

/** Hub → agent. */
export interface AgentServerEvents {
  event: (e: HubEvent) => void;
  /** Several events at once, in offset order (replay pages). */
  events: (list: HubEvent[]) => void;
  'hub:shutdown': (p: ShutdownNotice) => void;
  /** The committed watermark advanced (sent to subscribers at most every 250 ms while it moves). */
  'event:watermark': (p: { offset: number }) => void;
  /** Events this agent published and was answered `durable: false` for are committed now. */
  'event:durable': (p: { ids: string[] }) => void;
  /** An operator retried a dead letter of this agent: run its handlers again, past dedupe. */
  'event:redeliver': (p: Redelivery, ack: AckCallback<RedeliveryReceipt>) => void;
  'hub:error': (p: { code: string; message: string }) => void;
  'liveness:probe': (p: { at: string }, ack: (r: LivenessReport) => void) => void;
  'agent:restart': (p: { reason: string }) => void;
  /** `replace` recovery: this agent now holds the failed agent's sessions (and its state there). */
  'agent:assigned': (p: { replaces: string; sessions: string[] }) => void;
  'group:turn': (p: GroupTurnGrant) => void;
  'group:message': (p: GroupMessageEvent) => void;
  'group:ended': (p: GroupEndedEvent) => void;
}

export interface HubStatus {
  version: string;
  node: string;
  degraded: boolean;
  degradedReason: string | null;
  degradedSince: string | null;
  sessionLimit: number;
  storeDegraded: boolean;
  shuttingDown: boolean;
}

/** Hub → dashboard (operators namespace). */
export interface OperatorServerEvents {
  'agents:snapshot': (agents: AgentInfo[]) => void;
  'agent:update': (agent: AgentInfo) => void;
  'agent:removed': (p: { id: string }) => void;
  'health:transition': (t: HealthTransition) => void;
  'hub:status': (s: HubStatus) => void;
  'session:update': (s: Session) => void;
  'session:removed': (p: { id: string }) => void;
  'event:stream': (e: HubEvent) => void;
  'deadletter:new': (d: DeadLetter) => void;
  /** An operator retried (and the agent took the event) or discarded a dead letter. */
  'deadletter:update': (d: DeadLetter) => void;
  'group:update': (g: Group) => void;
  /** A new sample of this node's charts (pushed only while a dashboard is connected to the node). */
  'metrics:sample': (p: MetricsSamplePush) => void;
  /** A refused event sent without an ack (an operator socket event outside the credential's scope). */
  'hub:error': (p: { code: string; message: string; details?: unknown }) => void;
}

export interface OperatorClientEvents {
  'events:watch': (p: { pattern: string | null }, ack: AckCallback<{ pattern: string | null }>) => void;
}
