import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, SessionStore } from '@agent-hub/core';
import { SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { compareSessionsForListing, decodeSessionCursor, encodeSessionCursor } from '../session-cursor.ts';
import { sessionNotFound, sessionWriteRefusal } from '../session-write-refusal.ts';
import { jsonCopy } from './json-copy.ts';

/** A session as kept in memory: times in epoch ms, history beside it. */
interface SessionRow {
  id: string;
  state: SessionState;
  version: number;
  members: string[];
  metadata: Record<string, unknown>;
  agentState: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  messages: SessionMessage[];
}

export class MemorySessionStore implements SessionStore {
  private readonly rows = new Map<string, SessionRow>();

  async createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    if (this.rows.has(rec.id)) throw new Error(`duplicate session id ${rec.id}`);
    const row: SessionRow = {
      id: rec.id,
      state: 'active',
      version: 1,
      members: [...rec.members],
      metadata: jsonCopy(rec.metadata),
      agentState: {},
      createdAt: rec.at,
      updatedAt: rec.at,
      lastActivityAt: rec.at,
      messages: [],
    };
    appendTo(row, messages, rec.at);
    this.rows.set(rec.id, row);
    return toSession(row);
  }

  async getSession(id: string): Promise<Session | null> {
    const row = this.rows.get(id);
    return row ? toSession(row) : null;
  }

  async getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    const row = this.rows.get(id);
    if (!row) return [];
    // seq n sits at index n - 1: history is dense and append-only.
    return row.messages.slice(Math.max(0, afterSeq), Math.max(0, afterSeq) + limit).map(jsonCopy);
  }

  async listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const matching = [...this.rows.values()]
      .filter((r) => matchesFilter(r, filter))
      .filter((r) => !after || compareSessionsForListing(r, after) > 0)
      .sort(compareSessionsForListing);
    const page = matching.slice(0, limit);
    const last = matching.length > limit ? page[page.length - 1] : undefined;
    return {
      items: page.map(toSession),
      nextCursor: last ? encodeSessionCursor({ updatedAt: last.updatedAt, id: last.id }) : null,
    };
  }

  async updateSession(
    id: string,
    expectedVersion: number | undefined,
    patch: SessionPatch,
    at: number,
  ): Promise<Session> {
    // An explicit state may revive an expired session; any other write to one is refused.
    const row = this.writable(id, expectedVersion, patch.state !== undefined);
    if (patch.metadata) row.metadata = jsonCopy(patch.metadata);
    if (patch.members) row.members = [...patch.members];
    if (patch.agentState) {
      const { agentId, state } = patch.agentState;
      if (state === null || state === undefined) delete row.agentState[agentId];
      else row.agentState[agentId] = jsonCopy(state);
    }
    touch(row, patch.state ?? 'active', at);
    return toSession(row);
  }

  async appendMessages(
    id: string,
    expectedVersion: number | undefined,
    messages: NewMessageRecord[],
    at: number,
  ): Promise<{ session: Session; messages: SessionMessage[] }> {
    const row = this.writable(id, expectedVersion, false);
    const inserted = appendTo(row, messages, at);
    touch(row, 'active', at);
    return { session: toSession(row), messages: inserted.map(jsonCopy) };
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async sweepSessions(
    idleBefore: number,
    expireBefore: number,
    at: number,
  ): Promise<{ idled: string[]; expired: string[] }> {
    // Expire before idling, so a session is seen idle by at least one sweep before it expires.
    const expired = this.transition('idle', 'expired', expireBefore, at);
    const idled = this.transition('active', 'idle', idleBefore, at);
    return { idled, expired };
  }

  async purgeExpired(before: number): Promise<number> {
    let purged = 0;
    for (const row of [...this.rows.values()]) {
      if (row.state === 'expired' && row.lastActivityAt < before) purged += this.rows.delete(row.id) ? 1 : 0;
    }
    return purged;
  }

  async countByState(): Promise<Record<SessionState, number>> {
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    for (const row of this.rows.values()) counts[row.state] += 1;
    return counts;
  }

  private writable(id: string, expectedVersion: number | undefined, allowExpired: boolean): SessionRow {
    const row = this.rows.get(id);
    if (!row) throw sessionNotFound(id);
    const stale = expectedVersion !== undefined && row.version !== expectedVersion;
    if (stale || (row.state === 'expired' && !allowExpired)) throw sessionWriteRefusal(id, row, allowExpired);
    return row;
  }

  private transition(from: SessionState, to: SessionState, inactiveBefore: number, at: number): string[] {
    const changed: string[] = [];
    for (const row of this.rows.values()) {
      if (row.state !== from || row.lastActivityAt >= inactiveBefore) continue;
      row.state = to;
      row.version += 1;
      row.updatedAt = at;
      changed.push(row.id);
    }
    return changed;
  }
}

function appendTo(row: SessionRow, messages: NewMessageRecord[], at: number): SessionMessage[] {
  const createdAt = new Date(at).toISOString();
  const added = messages.map((m, i) => ({
    seq: row.messages.length + i + 1,
    role: m.role,
    author: m.author,
    content: m.content,
    metadata: jsonCopy(m.metadata),
    createdAt,
  }));
  row.messages.push(...added);
  return added;
}

/** Every write: one version further, active unless told otherwise, and fresh activity. */
function touch(row: SessionRow, state: SessionState, at: number): void {
  row.version += 1;
  row.state = state;
  row.updatedAt = at;
  row.lastActivityAt = at;
}

function matchesFilter(r: SessionRow, f: SessionFilter): boolean {
  if (f.state && r.state !== f.state) return false;
  if (f.agent !== undefined && !r.members.includes(f.agent)) return false;
  if (f.createdAfter !== undefined && !(r.createdAt > f.createdAfter)) return false;
  if (f.createdBefore !== undefined && !(r.createdAt < f.createdBefore)) return false;
  if (f.updatedAfter !== undefined && !(r.updatedAt > f.updatedAfter)) return false;
  if (f.updatedBefore !== undefined && !(r.updatedAt < f.updatedBefore)) return false;
  return true;
}

function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    state: r.state,
    version: r.version,
    members: [...r.members],
    metadata: jsonCopy(r.metadata),
    agentState: jsonCopy(r.agentState),
    messageCount: r.messages.length,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    lastActivityAt: new Date(r.lastActivityAt).toISOString(),
  };
}
