import {
  extraMessageFields,
  HubError,
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
import { settleWithin } from '../store-outage/deadline.ts';
import { HistoryCache } from './history-cache.ts';
import { SessionAccess, type Actor } from './session-access.ts';
import { messageIdsOf } from './message-ids.ts';
import { retryOnConflict } from './retry-on-conflict.ts';
import type { QueuedWrite, WriteOutbox } from './write-outbox.ts';

export type { Actor };

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
  /**
   * With `boundedWait`: how long an unversioned create or append waits for the store (and for the
   * membership check before it) before the outbox pings the store, and queues the write (answered
   * `pending`) unless the ping is answered; default 500 ms.
   */
  queueAfterMs?: number;
  /** Network stores: a read unanswered for `queueAfterMs` (and a ping too) is refused, see boundedRead. */
  boundedReads?: boolean;
  /** Times a store call (metrics). */
  observe?: (op: string, ms: number) => void;
}

/**
 * `boundedWait`: the caller takes a `pending` answer as success (the HTTP and socket edges), so a
 * store that has not answered within `queueAfterMs` gets the write queued rather than waited for.
 * In-process callers that need the stored result leave it off and wait as long as the store does.
 */
export interface WriteOptions {
  boundedWait?: boolean;
}

type ParsedCreate = { members: string[]; metadata: Record<string, unknown>; messages: NewMessageRecordInput[] };
/** A message as the protocol's `NewMessage` parsed it: the hub's fields, the OpenAI ones and unknown ones. */
type NewMessageRecordInput = {
  id?: string;
  role: NewMessageRecord['role'];
  author?: string;
  content: NewMessageRecord['content'];
  metadata: Record<string, unknown>;
  [field: string]: unknown;
};

const DEFAULT_QUEUE_AFTER_MS = 500;

/**
 * Sessions: create, read with history, list, update under optimistic locking, append, agent
 * state, delete. Every change is announced (`updated`/`removed`) for the dashboard and groups.
 */
export class SessionService extends TypedEmitter<SessionServiceEvents> {
  private readonly cache: HistoryCache;
  private readonly access: SessionAccess;

  constructor(private readonly d: SessionServiceDeps) {
    super();
    this.cache = new HistoryCache(d.cacheSize);
    this.access = new SessionAccess({
      store: d.store,
      clock: d.clock,
      outbox: d.outbox,
      capacity: d.cacheSize,
      queueAfterMs: this.queueAfterMs,
    });
  }

  async create(actor: Actor, input: ParsedCreate, how: WriteOptions = {}): Promise<SessionWithHistory> {
    const refusal = await this.d.admission?.();
    if (refusal) throw new HubError(refusal.code, refusal.message);
    const members = actor.kind === 'agent' && !input.members.includes(actor.id) ? [actor.id, ...input.members] : input.members;
    const at = this.d.clock.now();
    const rec = { id: this.d.newId(), members: [...new Set(members)], metadata: input.metadata, at };
    const records = this.toRecords(input.messages, actor);
    // Safe to queue after a wait: a late-committing first attempt leaves a session the outbox finds.
    const session = await this.orQueue({ kind: 'create', ...rec, messages: records }, { afterWait: how.boundedWait === true }, () =>
      this.timed('create', () => this.d.store.createSession(rec, records)),
    );
    if ('queued' in session) {
      this.access.remember(rec.id, rec.members);
      return { ...provisional(rec.id, rec.members, rec.metadata, at), messages: [], pending: session.queued };
    }
    const messages = session.messageCount ? await this.d.store.getMessages(session.id, 0, session.messageCount) : [];
    this.cache.extend(session.id, messages, true);
    this.access.remember(session.id, session.members);
    this.emit('updated', session);
    return { ...session, messages };
  }

  async get(actor: Actor, id: string, withHistory = true): Promise<SessionWithHistory> {
    return this.timed('restore', () =>
      this.boundedRead(async () => {
        const session = await this.d.store.getSession(id);
        if (!session) throw notFound(id);
        this.access.check(actor, session);
        if (!withHistory) return { ...session, messages: [] };
        return { ...session, messages: await this.history(session) };
      }),
    );
  }

  async list(actor: Actor, q: SessionListQuery & { limit: number }): Promise<Page<Session>> {
    const agent = actor.kind === 'agent' ? actor.id : q.agent;
    if (actor.kind === 'agent' && q.agent && q.agent !== actor.id) {
      throw new HubError('FORBIDDEN', 'an agent can only list its own sessions');
    }
    return this.boundedRead(() =>
      this.d.store.listSessions(
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
      ),
    );
  }

  async update(actor: Actor, id: string, version: number | undefined, patch: SessionPatch): Promise<Session> {
    await this.access.checkById(actor, id);
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

  /**
   * Appends messages. Each message gets an id (the client's, or a new one), so that the store can
   * recognise a retry and answer it with the original result, and so that the outbox may apply a
   * write whose direct attempt is still in flight without writing it twice.
   */
  async append(
    actor: Actor,
    id: string,
    version: number | undefined,
    messages: NewMessageRecordInput[],
    how: WriteOptions = {},
  ): Promise<AppendOutcome> {
    const records = this.toRecords(messages, actor);
    const bounded = how.boundedWait === true;
    const auth = await this.access.checkById(actor, id, { queueable: version === undefined, bounded });
    // A retry of an append still waiting in the outbox: the same pending answer, not a second copy.
    const queued = this.d.outbox?.queuedAppend(id, messageIdsOf(records));
    if (queued) return { session: null, messages: [], pending: queued, duplicate: true };
    const at = this.d.clock.now();
    const direct = () =>
      this.timed('save', () => this.d.store.appendMessages(id, version, records, at)).catch((err) => this.onWriteError(id, err));
    const result =
      version === undefined
        ? await this.orQueue(
            { kind: 'append', sessionId: id, messages: records, at },
            { afterWait: bounded, storeSilent: auth === 'store-silent' },
            direct,
          )
        : await direct();
    if ('queued' in result) return { session: null, messages: [], pending: result.queued };
    if (result.duplicate) return { session: result.session, messages: result.messages, duplicate: true };
    this.cache.extend(id, result.messages);
    this.emit('updated', result.session);
    return { session: result.session, messages: result.messages };
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
    const auth = await this.access.checkById(actor, id, { queueable: true, bounded: false });
    const at = this.d.clock.now();
    // Not queued after a wait: a late first attempt could land after writes queued behind it and
    // undo them. Queued only when the store fails, or while earlier writes wait in the outbox.
    const how = { afterWait: false, storeSilent: auth === 'store-silent' };
    const r = await this.orQueue({ kind: 'agentState', sessionId: id, agentId, state, at }, how, () =>
      this.write(id, () => this.d.store.updateSession(id, undefined, { agentState: { agentId, state } }, at)),
    );
    return 'queued' in r ? { ...provisional(id, [], {}, at), pending: r.queued } : r;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.access.checkById(actor, id);
    if (!(await this.d.store.deleteSession(id))) throw notFound(id);
    this.cache.delete(id);
    this.emit('removed', { id });
  }

  /**
   * Announces sessions changed behind the service's back (the lifecycle sweeper moves them
   * active → idle → expired in the store): each is read and announced `updated` like any other
   * change. One that is gone or cannot be read is skipped.
   */
  announceChanged(ids: readonly string[]): void {
    for (const id of ids) {
      void this.d.store.getSession(id).then(
        (s) => s && this.emit('updated', s),
        () => undefined,
      );
    }
  }

  private async write(id: string, op: () => Promise<Session>): Promise<Session> {
    const session = await this.timed('save', op).catch((err) => this.onWriteError(id, err));
    this.emit('updated', session);
    return session;
  }

  /**
   * Unversioned writes are accepted into the outbox when the store is down, and while earlier
   * ones still wait there (so one session's writes apply in the order they were accepted, and
   * nothing waits on a store known to be failing). With `afterWait`, a write the store has not
   * answered within `queueAfterMs`, while it does not answer a ping either, is queued too: an
   * outage answers `pending` quickly however long the driver takes to give up. Only writes that
   * are safe to apply twice may use it.
   */
  private async orQueue<T>(
    write: QueuedWrite,
    how: { afterWait: boolean; storeSilent?: boolean },
    direct: () => Promise<T>,
  ): Promise<T | { queued: { position: number } }> {
    const outbox = this.d.outbox;
    if (!outbox) return direct();
    if (outbox.size > 0 || how.storeSilent) return { queued: await outbox.accept(write) };
    try {
      if (!how.afterWait) return await direct();
      const work = direct();
      const answer = await settleWithin(this.d.clock, this.queueAfterMs, work);
      if (answer.settled) return answer.value;
      // Slow, or gone? A store that still answers a ping is only busy: wait for the write as before.
      if (await outbox.storeAnswers()) return await work;
    } catch (err) {
      if (!HubError.is(err, 'STORE_UNAVAILABLE')) throw err;
    }
    return { queued: await outbox.accept(write) };
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

  /**
   * A read the store has not answered within `queueAfterMs`, while it does not answer a ping
   * either, is refused with STORE_UNAVAILABLE instead of waiting for the driver to give up (for
   * ever, on a connection whose packets are dropped). Reads are safe to abandon: the late answer
   * is dropped. Only with `boundedReads` (network stores) and an outbox to ping through.
   */
  private async boundedRead<T>(read: () => Promise<T>): Promise<T> {
    const outbox = this.d.outbox;
    if (!this.d.boundedReads || !outbox) return read();
    const work = read();
    const answer = await settleWithin(this.d.clock, this.queueAfterMs, work);
    if (answer.settled) return answer.value;
    if (await outbox.storeAnswers()) return await work;
    throw new HubError('STORE_UNAVAILABLE', `the session store has not answered within ${this.queueAfterMs} ms, nor a ping`);
  }

  private get queueAfterMs(): number {
    return this.d.queueAfterMs ?? DEFAULT_QUEUE_AFTER_MS;
  }

  private toRecords(messages: NewMessageRecordInput[], actor: Actor): NewMessageRecord[] {
    return messages.map((m) => toRecord(m, actor, m.id ?? this.d.newId()));
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

/** The protocol's `AppendResult`, with the pending arm's empty history typed as such. */
export type AppendOutcome =
  | { session: Session; messages: SessionMessage[]; duplicate?: boolean; pending?: undefined }
  | { session: null; messages: []; duplicate?: boolean; pending: { position: number } };

/** What a client sees of a session whose creation is still queued (version 0 = not stored yet). */
function provisional(id: string, members: string[], metadata: Record<string, unknown>, at: number): Session {
  const iso = new Date(at).toISOString();
  return {
    id,
    state: 'active',
    version: 0,
    members,
    metadata,
    agentState: {},
    messageCount: 0,
    createdAt: iso,
    updatedAt: iso,
    lastActivityAt: iso,
  };
}

function toRecord(m: NewMessageRecordInput, actor: Actor, id: string): NewMessageRecord {
  // An agent always writes under its own name; operators may attribute messages.
  const author = actor.kind === 'agent' ? actor.id : (m.author ?? null);
  const fields = extraMessageFields(m);
  return { id, role: m.role, author, content: m.content, ...(fields ? { fields } : {}), metadata: m.metadata };
}

function notFound(id: string): HubError {
  return new HubError('SESSION_NOT_FOUND', `no session ${id}`);
}

function ms(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

export type { ParsedCreate, NewMessageRecordInput };
