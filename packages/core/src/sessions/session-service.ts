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

  constructor(private readonly d: SessionServiceDeps) {
    super();
    this.cache = new HistoryCache(d.cacheSize);
  }

  async create(actor: Actor, input: ParsedCreate): Promise<SessionWithHistory> {
    const refusal = await this.d.admission?.();
    if (refusal) throw new HubError(refusal.code, refusal.message);
    const members = actor.kind === 'agent' && !input.members.includes(actor.id) ? [actor.id, ...input.members] : input.members;
    const at = this.d.clock.now();
    const session = await this.timed('create', () =>
      this.d.store.createSession(
        { id: this.d.newId(), members: [...new Set(members)], metadata: input.metadata, at },
        input.messages.map((m) => toRecord(m, actor)),
      ),
    );
    const messages = session.messageCount ? await this.d.store.getMessages(session.id, 0, session.messageCount) : [];
    this.cache.extend(session.id, messages, true);
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
  ): Promise<{ session: Session; messages: SessionMessage[] }> {
    await this.authorizeById(actor, id);
    const result = await this.timed('save', () =>
      this.d.store.appendMessages(id, version, messages.map((m) => toRecord(m, actor)), this.d.clock.now()),
    ).catch((err) => this.onWriteError(id, err));
    this.cache.extend(id, result.messages);
    this.emit('updated', result.session);
    return result;
  }

  async setAgentState(actor: Actor, id: string, version: number | undefined, agentId: string, state: unknown): Promise<Session> {
    if (actor.kind === 'agent' && actor.id !== agentId) throw new HubError('FORBIDDEN', 'an agent can only set its own state');
    return this.update(actor, id, version, { agentState: { agentId, state } });
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
    const session = await this.d.store.getSession(id);
    if (!session) throw notFound(id);
    this.authorize(actor, session);
  }

  private authorize(actor: Actor, session: Session): void {
    if (actor.kind === 'agent' && !session.members.includes(actor.id)) {
      throw new HubError('SESSION_NOT_MEMBER', `agent ${actor.id} is not a member of session ${session.id}`);
    }
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
