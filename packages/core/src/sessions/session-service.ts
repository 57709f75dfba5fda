import {
  HubError,
  type CreateSession,
  type Page,
  type Session,
  type SessionListQuery,
  type SessionMessage,
  type SessionWithHistory,
} from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import type { NewMessageRecord, SessionPatch, SessionStore } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import { HistoryCache } from './history-cache.ts';
import { retryOnConflict } from './retry-on-conflict.ts';
import type { QueuedWrite, WriteOutbox } from './write-outbox.ts';

/** Who is asking: operators see everything, an agent only the sessions it is a member of. */
export type Actor = { kind: 'operator' } | { kind: 'agent'; id: string };

export interface SessionServiceEvents {
  updated: [Session];
  removed: [{ id: string }];
  conflict: [{ id: string }];
}

export interface SessionServiceDeps {
  store: SessionStore;
  clock: Clock;
  newId: IdGenerator;
  cacheSize: number;
  /** Refuses new sessions (HUB_DEGRADED) or caps them (SESSION_LIMIT_REACHED); null = no objection. */
  admission?: () => Promise<{ code: 'HUB_DEGRADED' | 'SESSION_LIMIT_REACHED'; message: string } | null>;
  /** Where unversioned writes go while the store is down (accepted-but-pending). */
  outbox?: WriteOutbox;
  /** Times a store call (metrics). */
  observe?: (op: string, ms: number) => void;
}

type ParsedCreate = { members: string[]; metadata: Record<string, unknown>; messages: NewMessageRecordInput[] };
type NewMessageRecordInput = { role: NewMessageRecord['role']; author?: string; content: string; metadata: Record<string, unknown> };

/**
 * Sessions: create, read with history, list, update under optimistic locking, append, agent
 * state, delete. Every change is announced (`updated`/`removed`) for the dashboard and groups.
 */
export class SessionService extends TypedEmitter<SessionServiceEvents> {
  private readonly cache: HistoryCache;
  /** Recently seen members per session, to authorize agents' queued writes while the store is down. */
  private readonly membership = new Map<string, string[]>();

  constructor(private readonly d: SessionServiceDeps) {
    super();
    this.cache = new HistoryCache(d.cacheSize);
  }

  async create(actor: Actor, input: ParsedCreate): Promise<SessionWithHistory> {
    const refusal = await this.d.admission?.();
    if (refusal) throw new HubError(refusal.code, refusal.message);
    const members = actor.kind === 'agent' && !input.members.includes(actor.id) ? [actor.id, ...input.members] : input.members;
    const at = this.d.clock.now();
    const rec = { id: this.d.newId(), members: [...new Set(members)], metadata: input.metadata, at };
    const records = input.messages.map((m) => toRecord(m, actor));
    const session = await this.orQueue({ kind: 'create', ...rec, messages: records }, () =>
      this.timed('create', () => this.d.store.createSession(rec, records)),
    );
    if ('queued' in session) return { ...provisional(rec.id, rec.members, rec.metadata, at), messages: [], pending: session.queued };
    const messages = session.messageCount ? await this.d.store.getMessages(session.id, 0, session.messageCount) : [];
    this.cache.extend(session.id, messages, true);
    this.remember(session);
    this.emit('updated', session);
    return { ...session, messages };
  }

  async get(actor: Actor, id: string, withHistory = true): Promise<SessionWithHistory> {
    return this.timed('restore', async () => {
      const session = await this.d.store.getSession(id);
      if (!session) throw notFound(id);
      this.authorize(actor, session);
      if (!withHistory) return { ...session, messages: [] };
      return { ...session, messages: await this.history(session) };
    });
  }

  async list(actor: Actor, q: SessionListQuery & { limit: number }): Promise<Page<Session>> {
    const agent = actor.kind === 'agent' ? actor.id : q.agent;
    if (actor.kind === 'agent' && q.agent && q.agent !== actor.id) {
      throw new HubError('FORBIDDEN', 'an agent can only list its own sessions');
    }
    return this.d.store.listSessions(
      {
        state: q.state,
        agent,
        createdAfter: ms(q.createdAfter),
        createdBefore: ms(q.createdBefore),
        updatedAfter: ms(q.updatedAfter),
        updatedBefore: ms(q.updatedBefore),
      },
      q.limit,
      q.cursor,
    );
  }

  async update(actor: Actor, id: string, version: number | undefined, patch: SessionPatch): Promise<Session> {
    await this.authorizeById(actor, id);
    return this.write(id, () => this.d.store.updateSession(id, version, patch, this.d.clock.now()));
  }

  /**
   * Read-modify-write with automatic retry: re-reads the session and re-applies `mutate` when
   * another writer got there first (3 tries, 100 ms apart, then SESSION_VERSION_CONFLICT).
   */
  async updateWith(actor: Actor, id: string, mutate: (s: Session) => SessionPatch): Promise<Session> {
    return retryOnConflict(this.d.clock, async () => {
      const current = await this.get(actor, id, false);
      return this.update(actor, id, current.version, mutate(current));
    });
  }

  async append(
    actor: Actor,
    id: string,
    version: number | undefined,
    messages: NewMessageRecordInput[],
  ): Promise<AppendOutcome> {
    await this.authorizeById(actor, id);
    const at = this.d.clock.now();
    const records = messages.map((m) => toRecord(m, actor));
    const direct = () =>
      this.timed('save', () => this.d.store.appendMessages(id, version, records, at)).catch((err) => this.onWriteError(id, err));
    const result = version === undefined ? await this.orQueue({ kind: 'append', sessionId: id, messages: records, at }, direct) : await direct();
    if ('queued' in result) return { session: null, messages: [], pending: result.queued };
    this.cache.extend(id, result.messages);
    this.emit('updated', result.session);
    return result;
  }

  async setAgentState(
    actor: Actor,
    id: string,
    version: number | undefined,
    agentId: string,
    state: unknown,
  ): Promise<Session & { pending?: { position: number } }> {
    if (actor.kind === 'agent' && actor.id !== agentId) throw new HubError('FORBIDDEN', 'an agent can only set its own state');
    if (version !== undefined) return this.update(actor, id, version, { agentState: { agentId, state } });
    await this.authorizeById(actor, id);
    const at = this.d.clock.now();
    const r = await this.orQueue({ kind: 'agentState', sessionId: id, agentId, state, at }, () =>
      this.write(id, () => this.d.store.updateSession(id, undefined, { agentState: { agentId, state } }, at)),
    );
    return 'queued' in r ? { ...provisional(id, [], {}, at), pending: r.queued } : r;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.authorizeById(actor, id);
    if (!(await this.d.store.deleteSession(id))) throw notFound(id);
    this.cache.delete(id);
    this.emit('removed', { id });
  }

  private async write(id: string, op: () => Promise<Session>): Promise<Session> {
    const session = await this.timed('save', op).catch((err) => this.onWriteError(id, err));
    this.emit('updated', session);
    return session;
  }

  /**
   * Unversioned writes are accepted into the outbox when the store is down, and while earlier
   * ones still wait there (so one session's writes apply in the order they were accepted).
   */
  private async orQueue<T>(write: QueuedWrite, direct: () => Promise<T>): Promise<T | { queued: { position: number } }> {
    const outbox = this.d.outbox;
    if (!outbox) return direct();
    // While anything waits in the outbox, later writes queue behind it: acceptance order is kept.
    if (outbox.size > 0) return { queued: await outbox.accept(write) };
    try {
      return await direct();
    } catch (err) {
      if (!HubError.is(err, 'STORE_UNAVAILABLE')) throw err;
      return { queued: await outbox.accept(write) };
    }
  }

  private onWriteError(id: string, err: unknown): never {
    if (HubError.is(err, 'SESSION_VERSION_CONFLICT')) this.emit('conflict', { id });
    throw err;
  }

  private async history(session: Session): Promise<SessionMessage[]> {
    const cached = this.cache.get(session.id) ?? [];
    const have = cached.length ? cached[cached.length - 1]!.seq : 0;
    if (have >= session.messageCount) return cached.slice(0, session.messageCount);
    const missing = await this.d.store.getMessages(session.id, have, session.messageCount - have);
    this.cache.extend(session.id, missing, have === 0);
    return cached.concat(missing);
  }

  private async authorizeById(actor: Actor, id: string): Promise<void> {
    if (actor.kind === 'operator') return;
    let session: Session | null;
    try {
      session = await this.d.store.getSession(id);
    } catch (err) {
      // Store down: membership seen recently is still good enough to queue the agent's write.
      const known = this.membership.get(id);
      if (HubError.is(err, 'STORE_UNAVAILABLE') && known?.includes(actor.id)) return;
      throw err;
    }
    if (!session) throw notFound(id);
    this.authorize(actor, session);
  }

  private authorize(actor: Actor, session: Session): void {
    this.remember(session);
    if (actor.kind === 'agent' && !session.members.includes(actor.id)) {
      throw new HubError('SESSION_NOT_MEMBER', `agent ${actor.id} is not a member of session ${session.id}`);
    }
  }

  private remember(session: Session): void {
    this.membership.delete(session.id);
    this.membership.set(session.id, session.members);
    if (this.membership.size > Math.max(1000, this.d.cacheSize)) this.membership.delete(this.membership.keys().next().value as string);
  }

  private async timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = this.d.clock.now();
    try {
      return await fn();
    } finally {
      this.d.observe?.(op, this.d.clock.now() - start);
    }
  }
}

export type AppendOutcome =
  | { session: Session; messages: SessionMessage[]; pending?: undefined }
  | { session: null; messages: []; pending: { position: number } };

/** What a client sees of a session whose creation is still queued (version 0 = not stored yet). */
function provisional(id: string, members: string[], metadata: Record<string, unknown>, at: number): Session {
  const iso = new Date(at).toISOString();
  return { id, state: 'active', version: 0, members, metadata, agentState: {}, messageCount: 0, createdAt: iso, updatedAt: iso, lastActivityAt: iso };
}

function toRecord(m: NewMessageRecordInput, actor: Actor): NewMessageRecord {
  // An agent always writes under its own name; operators may attribute messages.
  const author = actor.kind === 'agent' ? actor.id : (m.author ?? null);
  return { role: m.role, author, content: m.content, metadata: m.metadata };
}

function notFound(id: string): HubError {
  return new HubError('SESSION_NOT_FOUND', `no session ${id}`);
}

function ms(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

export type { ParsedCreate, NewMessageRecordInput };
