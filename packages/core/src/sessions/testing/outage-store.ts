import { HubError, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { MemoryStore } from '../../memory-store/memory-store.ts';
import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, SessionStore, StoredAppend } from '../../ports/store.ts';

type Mode = 'up' | 'refusing' | 'hanging' | 'slow';

/**
 * The memory store's sessions behind a switchable outage, for outage tests. `refusing` fails
 * every call with STORE_UNAVAILABLE at once, the way a refused connection does; `hanging` holds
 * every call until `release()`, the way a driver waiting to reconnect does; `slow` holds every
 * call but pings, the way a busy store does.
 */
export class OutageStore implements SessionStore {
  mode: Mode = 'up';
  /** Store calls made, by method (pings included). */
  readonly calls = new Map<string, number>();
  private readonly store = new MemoryStore();
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
    return this.guard('ping', () => this.store.ping());
  }

  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    return this.guard('createSession', () => this.store.sessions.createSession(rec, messages));
  }

  getSession(id: string): Promise<Session | null> {
    return this.guard('getSession', () => this.store.sessions.getSession(id));
  }

  getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    return this.guard('getMessages', () => this.store.sessions.getMessages(id, afterSeq, limit));
  }

  listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    return this.guard('listSessions', () => this.store.sessions.listSessions(filter, limit, cursor));
  }

  updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    return this.guard('updateSession', () => this.store.sessions.updateSession(id, expectedVersion, patch, at));
  }

  appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    return this.guard('appendMessages', () => this.store.sessions.appendMessages(id, expectedVersion, messages, at));
  }

  deleteSession(id: string): Promise<boolean> {
    return this.guard('deleteSession', () => this.store.sessions.deleteSession(id));
  }

  sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }> {
    return this.guard('sweepSessions', () => this.store.sessions.sweepSessions(idleBefore, expireBefore, at));
  }

  purgeExpired(before: number): Promise<number> {
    return this.guard('purgeExpired', () => this.store.sessions.purgeExpired(before));
  }

  countByState(): Promise<Record<SessionState, number>> {
    return this.guard('countByState', () => this.store.sessions.countByState());
  }

  /** The stored history's contents, for assertions (bypasses the mode). */
  async contents(id: string): Promise<string[]> {
    const messages = await this.store.sessions.getMessages(id, 0, Number.MAX_SAFE_INTEGER);
    return messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
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
}
