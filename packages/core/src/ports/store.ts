import type {
  AgentInfo,
  CheckpointCursor,
  CheckpointWrite,
  StoredCheckpoint,
  DeadLetter,
  DeadLetterStatus,
  HubEvent,
  MessageContent,
  MessageRole,
  Page,
  Priority,
  RecoveryStrategy,
  Session,
  SessionMessage,
  SessionState,
} from '@agent-hub/protocol';

export interface NewSessionRecord {
  id: string;
  members: string[];
  metadata: Record<string, unknown>;
  /** Epoch ms. */
  at: number;
}

export interface NewMessageRecord {
  /** Unique within the session (the idempotency key of a retried append); optional. */
  id?: string;
  role: MessageRole;
  author: string | null;
  content: MessageContent;
  /**
   * The other OpenAI chat fields (`tool_calls`, `tool_call_id`, `name`) and any the hub does not
   * know, kept as sent and spread back onto the stored message; absent when there are none.
   */
  fields?: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface SessionPatch {
  metadata?: Record<string, unknown>;
  members?: string[];
  state?: SessionState;
  /** Sets one agent's entry in the agent-state map (null removes it). */
  agentState?: { agentId: string; state: unknown };
}

/** What an append stored, or, for a retry (`duplicate: true`), what the original append stored. */
export interface StoredAppend {
  session: Session;
  messages: SessionMessage[];
  duplicate?: boolean;
}

export interface SessionFilter {
  state?: SessionState;
  agent?: string;
  createdAfter?: number;
  createdBefore?: number;
  updatedAfter?: number;
  updatedBefore?: number;
}

/**
 * Sessions and their history. Every write but `createSession` takes the version it is based on
 * (`expectedVersion`, or undefined where the operation allows it) and bumps the version by one;
 * a stale version throws HubError SESSION_VERSION_CONFLICT with details `{ currentVersion }`, a
 * missing session HubError SESSION_NOT_FOUND. Appends never rewrite earlier messages.
 *
 * Message ids are unique within a session. An append whose ids were all stored by one earlier
 * append (or create) is a retry: it writes nothing and answers that write's messages and the
 * session as it left it (version, messageCount, state and times; the fields an append does not
 * touch as they are now) with `duplicate: true`, before any version or state check. Ids only
 * partly stored, or stored by different writes, throw SESSION_MESSAGE_ID_CONFLICT; an id twice
 * in one write throws VALIDATION_FAILED.
 */
export interface SessionStore {
  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session>;
  getSession(id: string): Promise<Session | null>;
  /** Messages with seq > afterSeq, ascending, at most `limit`. */
  getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]>;
  /** Newest-updated first; the cursor is opaque to callers. */
  listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>>;
  updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session>;
  appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend>;
  deleteSession(id: string): Promise<boolean>;
  /**
   * Lifecycle sweep: active sessions with no activity since `idleBefore` become idle, idle ones
   * with none since `expireBefore` become expired (each such change bumps the version).
   */
  sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }>;
  /** Deletes expired sessions whose last activity is before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>;
  countByState(): Promise<Record<SessionState, number>>;
}

export interface EventQuery {
  afterOffset?: number;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Topic patterns (see protocol `topicProblem`); none means every topic. */
  patterns?: string[];
  minPriority?: Priority;
  limit: number;
}

/** The persisted event log: append-only, offsets assigned by the hub, ids unique. */
export interface EventLog {
  /** Idempotent: an event whose id is already stored is skipped. Returns the ids that were new. */
  appendEvents(events: HubEvent[]): Promise<string[]>;
  maxOffset(): Promise<number>;
  hasEvent(id: string): Promise<boolean>;
  /**
   * The offsets under which these ids are stored (ids not in the log are absent from the map).
   * A publisher's retry after a failover is answered with the original offset through it.
   */
  offsetsOf(ids: string[]): Promise<Map<string, number>>;
  /** Ascending by offset. */
  readEvents(q: EventQuery): Promise<HubEvent[]>;
  /** Deletes events older than `before` (epoch ms), only on topics matching `pattern` if given. */
  deleteEventsBefore(before: number, pattern?: string): Promise<number>;
  getAgentOffset(agentId: string): Promise<number | null>;
  /** Only ever moves an agent's offset forward. */
  setAgentOffset(agentId: string, offset: number): Promise<void>;
  /** Idempotent: a second letter with the same id is ignored (the first is kept). */
  addDeadLetter(d: DeadLetter): Promise<void>;
  /** Newest first (then id descending), only those with `filter.status` if given. */
  listDeadLetters(limit: number, filter?: { status?: DeadLetterStatus }): Promise<DeadLetter[]>;
  getDeadLetter(id: string): Promise<DeadLetter | null>;
  /**
   * Compare-and-set on a dead letter's status: moves it from `from` to `change` (atomically, so
   * two operators — on two nodes — cannot both retry it) and returns it as changed. No such
   * letter throws HubError DEAD_LETTER_NOT_FOUND; another status now throws DEAD_LETTER_RESOLVED
   * with details `{ status, resolvedBy, resolvedAt }`.
   */
  setDeadLetterStatus(id: string, from: DeadLetterStatus, change: DeadLetterStatusChange): Promise<DeadLetter>;
}

/** A dead letter's new status with who set it and when (both null when it is `open` again). */
export interface DeadLetterStatusChange {
  status: DeadLetterStatus;
  by: string | null;
  /** ISO time. */
  at: string | null;
}

export interface AgentRecord {
  id: string;
  name: string;
  capabilities: string[];
  priority: number;
  recovery: RecoveryStrategy;
  meta: Record<string, unknown>;
  /** Epoch ms of the last registration. */
  registeredAt: number;
}

/** The durable part of the agent registry (who exists); live health is kept by the health monitor. */
export interface AgentStore {
  upsertAgent(rec: AgentRecord): Promise<void>;
  /** Several agents in one write (ids distinct): a fleet registering at once is one commit, not thousands. */
  upsertAgents(recs: AgentRecord[]): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;
}

/** Small versioned documents (group and workflow state), compare-and-set on version. */
export interface KeyValueStore {
  getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null>;
  /**
   * Compare-and-set: expectedVersion 0 means "must not exist yet". Returns the new version;
   * a mismatch throws HubError VERSION_CONFLICT with details `{ currentVersion }` (0 if absent).
   */
  putValue(key: string, value: unknown, expectedVersion: number): Promise<number>;
  deleteValue(key: string): Promise<void>;
  listKeys(prefix: string): Promise<string[]>;
}

/** A checkpoint as a store keeps it (see protocol `StoredCheckpoint` for the fields). */
export type CheckpointRecord = Omit<StoredCheckpoint, 'writes'>;

export interface CheckpointQuery {
  threadId?: string;
  namespace?: string;
  id?: string;
  /** Only ids below this one. */
  before?: string;
  /** Top-level metadata keys that must hold a JSON-equal value. */
  filter?: Record<string, unknown>;
  /** Continue after this checkpoint (the last of the previous page). */
  after?: CheckpointCursor;
  limit: number;
}

/**
 * Graph checkpoints (LangGraph), apart from sessions: nothing expires, is counted against session
 * limits or paused. Listings run by id descending (LangGraph ids are time-ordered uuid6), then
 * thread and namespace descending, so a cursor is exact.
 */
export interface CheckpointStore {
  /** Stores the checkpoint; one with the same thread, namespace and id is replaced. */
  putCheckpoint(rec: CheckpointRecord): Promise<void>;
  /**
   * Stores writes against a checkpoint, keyed by (taskId, idx): a key already stored is kept when
   * idx >= 0 (a retried task writes the same) and replaced when idx < 0 (errors, interrupts).
   */
  putCheckpointWrites(threadId: string, namespace: string, checkpointId: string, writes: CheckpointWrite[]): Promise<void>;
  /** The checkpoint with its writes (ordered by taskId, then idx); the newest one when `id` is absent. */
  getCheckpoint(threadId: string, namespace: string, id?: string): Promise<StoredCheckpoint | null>;
  listCheckpoints(q: CheckpointQuery): Promise<StoredCheckpoint[]>;
  /** Deletes every checkpoint and write of the thread (all namespaces); returns how many checkpoints. */
  deleteCheckpointThread(threadId: string): Promise<number>;
}

/**
 * Every adapter reports an unreachable or failing backend as HubError STORE_UNAVAILABLE (with the
 * driver's message in details), so callers can tell "retry later" from a domain error.
 */
export type StoreKind = 'memory' | 'pglite' | 'postgres' | 'redis' | 'file';

export interface Store {
  readonly kind: StoreKind;
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type { AgentInfo };
