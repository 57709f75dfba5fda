import { HubError, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import type { NewMessageRecord, NewSessionRecord, SessionPatch, SessionStore, StoredAppend } from '../../ports/store.ts';
import { earlierWriteOf, messageIdsOf } from '../message-ids.ts';
import { storedMessage } from '../stored-message.ts';
import { sessionFromRecord } from '../../testing/session-from-record.ts';

type Mode = 'up' | 'refusing' | 'hanging' | 'slow';

interface Row {
  session: Session;
  messages: SessionMessage[];
  /** message id → the version its write produced */
  writes: Map<string, number>;
}

/**
 * A session store for outage tests (core cannot use @agent-hub/store's MemoryStore, which
 * depends on core). `refusing` fails every call with STORE_UNAVAILABLE at once, the way a
 * refused connection does; `hanging` holds every call until `release()`, the way a driver
 * waiting to reconnect does; `slow` holds every call but pings, the way a busy store does.
 * Message ids are kept and retries answered as the port says.
 */
export class OutageStore implements SessionStore {
  mode: Mode = 'up';
  /** Store calls made, by method (pings included). */
  readonly calls = new Map<string, number>();
  private readonly rows = new Map<string, Row>();
  private held: Array<() => void> = [];

  /** Settles every held call: run against the store as it is now (or failed if it is still down). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  get heldCalls(): number {
    return this.held.length;
  }

  ping(): Promise<void> {
    return this.guard('ping', async () => undefined);
  }

  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    return this.guard('createSession', async () => {
      if (this.rows.has(rec.id)) throw new Error(`duplicate session id ${rec.id}`);
      const session = sessionFromRecord(rec);
      const row: Row = { session, messages: [], writes: new Map() };
      this.add(row, messages, rec.at);
      this.rows.set(rec.id, row);
      return structuredClone(session);
    });
  }

  getSession(id: string): Promise<Session | null> {
    return this.guard('getSession', async () => {
      const row = this.rows.get(id);
      return row ? structuredClone(row.session) : null;
    });
  }

  getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    return this.guard('getMessages', async () => structuredClone((this.rows.get(id)?.messages ?? []).slice(afterSeq, afterSeq + limit)));
  }

  listSessions(): Promise<Page<Session>> {
    return this.guard('listSessions', async () => ({
      items: [...this.rows.values()].map((r) => structuredClone(r.session)),
      nextCursor: null,
    }));
  }

  updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    return this.guard('updateSession', async () => {
      const row = this.writable(id, expectedVersion);
      if (patch.metadata) row.session.metadata = patch.metadata;
      if (patch.members) row.session.members = [...patch.members];
      if (patch.agentState) row.session.agentState[patch.agentState.agentId] = patch.agentState.state;
      this.touch(row, at);
      return structuredClone(row.session);
    });
  }

  appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    return this.guard('appendMessages', async () => {
      const existing = this.rows.get(id);
      const ids = messageIdsOf(messages);
      const version = existing && earlierWriteOf(id, ids, (m) => existing.writes.get(m));
      if (existing && version !== undefined) {
        const original = existing.messages.filter((m) => m.id !== undefined && existing.writes.get(m.id) === version);
        return { session: { ...structuredClone(existing.session), version }, messages: structuredClone(original), duplicate: true };
      }
      const row = this.writable(id, expectedVersion);
      const added = this.add(row, messages, at, row.session.version + 1);
      this.touch(row, at);
      return { session: structuredClone(row.session), messages: structuredClone(added) };
    });
  }

  deleteSession(id: string): Promise<boolean> {
    return this.guard('deleteSession', async () => this.rows.delete(id));
  }

  sweepSessions(): Promise<{ idled: string[]; expired: string[] }> {
    return this.guard('sweepSessions', async () => ({ idled: [], expired: [] }));
  }

  purgeExpired(): Promise<number> {
    return this.guard('purgeExpired', async () => 0);
  }

  countByState(): Promise<Record<SessionState, number>> {
    return this.guard('countByState', async () => ({ active: this.rows.size, idle: 0, expired: 0 }));
  }

  /** The stored history's contents, for assertions (bypasses the mode). */
  contents(id: string): string[] {
    return (this.rows.get(id)?.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
  }

  private guard<T>(method: string, run: () => Promise<T>): Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const attempt = () =>
      this.mode === 'up' || this.mode === 'slow'
        ? run()
        : Promise.reject(new HubError('STORE_UNAVAILABLE', 'the store is unavailable', { cause: 'test' }));
    const held = this.mode === 'hanging' || (this.mode === 'slow' && method !== 'ping');
    if (!held) return attempt();
    return new Promise<T>((resolve, reject) => this.held.push(() => void attempt().then(resolve, reject)));
  }

  private writable(id: string, expectedVersion: number | undefined): Row {
    const row = this.rows.get(id);
    if (!row) throw new HubError('SESSION_NOT_FOUND', `no session ${id}`);
    if (expectedVersion !== undefined && expectedVersion !== row.session.version) {
      throw new HubError('SESSION_VERSION_CONFLICT', 'stale version', { currentVersion: row.session.version });
    }
    return row;
  }

  private add(row: Row, messages: NewMessageRecord[], at: number, version = 1): SessionMessage[] {
    const createdAt = new Date(at).toISOString();
    const added = messages.map((m, i) => storedMessage(m, row.messages.length + i + 1, createdAt));
    for (const m of messages) if (m.id !== undefined) row.writes.set(m.id, version);
    row.messages.push(...added);
    row.session.messageCount = row.messages.length;
    return added;
  }

  private touch(row: Row, at: number): void {
    row.session.version++;
    row.session.updatedAt = row.session.lastActivityAt = new Date(at).toISOString();
  }
}
