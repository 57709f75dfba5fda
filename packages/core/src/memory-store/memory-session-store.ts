import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, SessionStore, StoredAppend } from '../ports/store.ts';
import { messageIdsOf } from '../sessions/message-ids.ts';
import type { Page, Session, SessionMessage, SessionState } from '@agent-hub/protocol';
import {
  appendMessagesTo,
  applySessionPatch,
  earlierWriteIn,
  countSessionsByState,
  isInactiveIn,
  listSessionRecords,
  moveToState,
  newSessionRecord,
  replayedWrite,
  toSession,
  touchSession,
  writableRecord,
  type SessionRecordWithHistory,
} from '../store-kit/session-records.ts';
import { jsonCopy } from '../store-kit/json-copy.ts';

/** A session as kept in memory: times in epoch ms, history beside it. */
type SessionRow = SessionRecordWithHistory;

export class MemorySessionStore implements SessionStore {
  private readonly rows = new Map<string, SessionRow>();

  async createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    if (this.rows.has(rec.id)) throw new Error(`duplicate session id ${rec.id}`);
    messageIdsOf(messages);
    const row: SessionRow = { ...newSessionRecord(rec), messages: [] };
    appendMessagesTo(row, messages, rec.at, 1);
    this.rows.set(rec.id, row);
    return rowToSession(row);
  }

  async getSession(id: string): Promise<Session | null> {
    const row = this.rows.get(id);
    return row ? rowToSession(row) : null;
  }

  async getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    const row = this.rows.get(id);
    if (!row) return [];
    // seq n sits at index n - 1: history is dense and append-only.
    return row.messages.slice(Math.max(0, afterSeq), Math.max(0, afterSeq) + limit).map(jsonCopy);
  }

  async listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    return listSessionRecords(this.rows.values(), filter, limit, cursor, rowToSession);
  }

  async updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    // An explicit state may revive an expired session; any other write to one is refused.
    const row = writableRecord(id, this.rows.get(id), expectedVersion, patch.state !== undefined);
    applySessionPatch(row, patch);
    touchSession(row, patch.state ?? 'active', at);
    return rowToSession(row);
  }

  async appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    // A retry is recognised before the version and state checks: it answers what it did then.
    const existing = this.rows.get(id);
    const earlier = existing && earlierWriteIn(existing, messages);
    if (earlier) return replayedWrite(rowToSession(existing), earlier);
    const row = writableRecord(id, existing, expectedVersion, false);
    const inserted = appendMessagesTo(row, messages, at, row.version + 1);
    touchSession(row, 'active', at);
    return { session: rowToSession(row), messages: inserted.map(jsonCopy) };
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }> {
    // Expire before idling, so a session is seen idle by at least one sweep before it expires.
    const expired = this.transition('idle', 'expired', expireBefore, at);
    const idled = this.transition('active', 'idle', idleBefore, at);
    return { idled, expired };
  }

  async purgeExpired(before: number): Promise<number> {
    let purged = 0;
    for (const row of [...this.rows.values()]) {
      if (isInactiveIn(row, 'expired', before)) purged += this.rows.delete(row.id) ? 1 : 0;
    }
    return purged;
  }

  async countByState(): Promise<Record<SessionState, number>> {
    return countSessionsByState(this.rows.values());
  }

  private transition(from: SessionState, to: SessionState, inactiveBefore: number, at: number): string[] {
    const changed: string[] = [];
    for (const row of this.rows.values()) {
      if (!isInactiveIn(row, from, inactiveBefore)) continue;
      moveToState(row, to, at);
      changed.push(row.id);
    }
    return changed;
  }
}

function rowToSession(row: SessionRow): Session {
  return toSession(row, row.messages.length);
}
