import { HubError, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import type { KeyValueStore, NewMessageRecord, NewSessionRecord, SessionPatch, SessionStore } from '../../ports/store.ts';
import { sessionFromRecord } from '../../testing/session-from-record.ts';

/**
 * Just enough of the store ports for the group tests (core cannot depend on @agent-hub/store's
 * MemoryStore, which depends on core). Compare-and-set and version bumps behave as the port says.
 */
export class InMemoryKv implements KeyValueStore {
  private readonly values = new Map<string, { value: string; version: number }>();

  async getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const v = this.values.get(key);
    return v ? { value: JSON.parse(v.value) as T, version: v.version } : null;
  }

  async putValue(key: string, value: unknown, expectedVersion: number): Promise<number> {
    const current = this.values.get(key)?.version ?? 0;
    if (current !== expectedVersion) throw new HubError('VERSION_CONFLICT', `${key} is at version ${current}`, { currentVersion: current });
    this.values.set(key, { value: JSON.stringify(value), version: current + 1 });
    return current + 1;
  }

  async deleteValue(key: string): Promise<void> {
    this.values.delete(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, { session: Session; messages: SessionMessage[] }>();

  async createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    const session = sessionFromRecord(rec);
    this.sessions.set(rec.id, { session, messages: [] });
    if (messages.length) await this.appendMessages(rec.id, undefined, messages, rec.at);
    return { ...this.entry(rec.id).session };
  }

  async getSession(id: string): Promise<Session | null> {
    const e = this.sessions.get(id);
    return e ? structuredClone(e.session) : null;
  }

  async getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    return this.entry(id)
      .messages.filter((m) => m.seq > afterSeq)
      .slice(0, limit)
      .map((m) => ({ ...m }));
  }

  async listSessions(): Promise<Page<Session>> {
    return { items: [...this.sessions.values()].map((e) => structuredClone(e.session)), nextCursor: null };
  }

  async updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    const e = this.entry(id, expectedVersion);
    if (patch.members) e.session.members = [...patch.members];
    if (patch.metadata) e.session.metadata = patch.metadata;
    if (patch.state) e.session.state = patch.state;
    this.touch(e.session, at);
    return structuredClone(e.session);
  }

  async appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number) {
    const e = this.entry(id, expectedVersion);
    const base = e.messages.length;
    const added = messages.map((m, i) => ({ ...m, seq: base + i + 1, createdAt: new Date(at).toISOString() }));
    e.messages.push(...added);
    e.session.messageCount = e.messages.length;
    this.touch(e.session, at);
    return { session: structuredClone(e.session), messages: added.map((m) => ({ ...m })) };
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  async sweepSessions(): Promise<{ idled: string[]; expired: string[] }> {
    return { idled: [], expired: [] };
  }

  async purgeExpired(): Promise<number> {
    return 0;
  }

  async countByState(): Promise<Record<SessionState, number>> {
    return { active: this.sessions.size, idle: 0, expired: 0 };
  }

  private entry(id: string, expectedVersion?: number) {
    const e = this.sessions.get(id);
    if (!e) throw new HubError('SESSION_NOT_FOUND', `no session ${id}`);
    if (expectedVersion !== undefined && expectedVersion !== e.session.version) {
      throw new HubError('SESSION_VERSION_CONFLICT', 'stale version', { currentVersion: e.session.version });
    }
    return e;
  }

  private touch(s: Session, at: number): void {
    s.version++;
    s.updatedAt = s.lastActivityAt = new Date(at).toISOString();
  }
}
