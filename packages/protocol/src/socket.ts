import type { AckCallback } from './ack.ts';
import type { AgentInfo, HealthTransition, LivenessReport, RegisterAgent } from './agents.ts';
import type { DeadLetter, HubEvent, PublishEvent, PublishResult, Subscribe } from './events.ts';
import type {
  AppendMessages,
  CreateSession,
  Session,
  SessionListQuery,
  SessionMessage,
  SessionWithHistory,
  SetAgentState,
  UpdateSession,
} from './sessions.ts';
import type { Page } from './common.ts';
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

/** What an agent sends in the Socket.IO handshake `auth`. */
export interface AgentHandshake {
  agentId: string;
  token: string;
  /** Highest event offset this agent has processed, for resume across reconnects. */
  lastOffset?: number;
}

export interface OperatorHandshake {
  token: string;
}

export interface SubscribeResult {
  patterns: string[];
  /** Events replayed (already sent as `event` before this ack). */
  replayed: number;
  /** Offset the replay started after. */
  fromOffset: number;
}

export interface SessionIdRef {
  id: string;
}

/** Agent → hub. Every event takes an ack with `Ack<T>`. */
export interface AgentClientEvents {
  'agent:register': (p: RegisterAgent, ack: AckCallback<AgentInfo>) => void;
  'agent:replay-report': (p: { replayed: number; failed: number }, ack: AckCallback<AgentInfo>) => void;
  'agent:restore': (p: Record<string, never>, ack: AckCallback<Array<{ sessionId: string; version: number; state: unknown }>>) => void;
  'session:create': (p: CreateSession, ack: AckCallback<Session>) => void;
  'session:get': (p: SessionIdRef & { history?: boolean }, ack: AckCallback<SessionWithHistory>) => void;
  'session:list': (p: SessionListQuery, ack: AckCallback<Page<Session>>) => void;
  'session:update': (p: SessionIdRef & UpdateSession, ack: AckCallback<Session>) => void;
  'session:append': (
    p: SessionIdRef & AppendMessages,
    ack: AckCallback<{ session: Session; messages: SessionMessage[] }>,
  ) => void;
  'session:state': (p: SessionIdRef & SetAgentState, ack: AckCallback<Session>) => void;
  'event:publish': (p: PublishEvent, ack: AckCallback<PublishResult>) => void;
  'event:subscribe': (p: Subscribe, ack: AckCallback<SubscribeResult>) => void;
  'event:unsubscribe': (p: { patterns: string[] }, ack: AckCallback<{ patterns: string[] }>) => void;
  'event:ack': (p: { offset: number; latencies?: number[] }) => void;
  'event:nack': (p: { id: string; offset: number; attempts: number; error: string }, ack: AckCallback<DeadLetter>) => void;
  'group:speak': (p: GroupSpeak, ack: AckCallback<GroupSpoken>) => void;
  'group:join': (p: GroupRef, ack: AckCallback<GroupJoined>) => void;
  'group:leave': (p: GroupRef, ack: AckCallback<Group>) => void;
  'group:task': (p: GroupTaskAction, ack: AckCallback<GroupTask | { items: GroupTask[]; summary: TaskSummary }>) => void;
}

/** Hub → agent. */
export interface AgentServerEvents {
  event: (e: HubEvent) => void;
  /** Several events at once, in offset order (replay pages). */
  events: (list: HubEvent[]) => void;
  'hub:shutdown': (p: { reason: string; reconnectAfterMs: number }) => void;
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
  'group:update': (g: Group) => void;
}

export interface OperatorClientEvents {
  'events:watch': (p: { pattern: string | null }, ack: AckCallback<{ pattern: string | null }>) => void;
}
