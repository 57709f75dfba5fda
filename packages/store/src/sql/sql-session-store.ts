import {
  earlierWriteOf,
  messageIdsOf,
  type NewMessageRecord,
  type NewSessionRecord,
  type SessionFilter,
  type SessionPatch,
  type SessionStore,
  type StoredAppend,
} from '@agent-hub/core';
import { HubError, SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { and, arrayContains, asc, count, desc, eq, gt, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { sessionMessages, sessions } from '../schema.ts';
import { decodeSessionCursor, encodeSessionCursor, replayedWrite, sessionNotFound, sessionWriteRefusal } from '@agent-hub/core/store-kit';
import { messageColumns, toMessage, toSession } from './rows.ts';
import { isUuid, type SqlDatabase } from './sql-database.ts';

// 9 bind parameters per message row keeps one insert well under PostgreSQL's 65,535 limit.
const MESSAGE_ROWS_PER_INSERT = 5000;

/** Thrown inside an append's transaction to roll it back: some of its message ids were taken. */
class MessageIdsTaken extends Error {}

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: SqlDatabase) {}

  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    messageIdsOf(messages);
    const at = new Date(rec.at);
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sessions)
        .values({
          id: rec.id,
          state: 'active',
          version: 1,
          members: rec.members,
          metadata: rec.metadata,
          agentState: {},
          messageCount: messages.length,
          createdAt: at,
          updatedAt: at,
          lastActivityAt: at,
        })
        .returning();
      await insertMessages(tx, rec.id, 1, messages, at, 1);
      return toSession(row!);
    });
  }

  async getSession(id: string): Promise<Session | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id));
    return row ? toSession(row) : null;
  }

  async getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    if (!isUuid(id)) return [];
    const rows = await this.db
      .select()
      .from(sessionMessages)
      .where(and(eq(sessionMessages.sessionId, id), gt(sessionMessages.seq, afterSeq)))
      .orderBy(asc(sessionMessages.seq))
      .limit(limit);
    return rows.map(toMessage);
  }

  async listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    const where: (SQL | undefined)[] = [
      filter.state ? eq(sessions.state, filter.state) : undefined,
      filter.agent !== undefined ? arrayContains(sessions.members, [filter.agent]) : undefined,
      filter.createdAfter !== undefined ? gt(sessions.createdAt, new Date(filter.createdAfter)) : undefined,
      filter.createdBefore !== undefined ? lt(sessions.createdAt, new Date(filter.createdBefore)) : undefined,
      filter.updatedAfter !== undefined ? gt(sessions.updatedAt, new Date(filter.updatedAfter)) : undefined,
      filter.updatedBefore !== undefined ? lt(sessions.updatedAt, new Date(filter.updatedBefore)) : undefined,
    ];
    if (cursor !== undefined) {
      const after = decodeSessionCursor(cursor);
      // This adapter's ids are UUIDs (the column's type): another id cannot come from its own cursor.
      if (!isUuid(after.id)) throw new HubError('VALIDATION_FAILED', 'invalid cursor', { cursor });
      // Keyset on the listing order; a row comparison lets the (updated_at, id) index serve it.
      const afterTime = new Date(after.updatedAt).toISOString();
      where.push(sql`(${sessions.updatedAt}, ${sessions.id}) < (${afterTime}::timestamptz, ${after.id}::uuid)`);
    }
    const rows = await this.db
      .select()
      .from(sessions)
      .where(and(...where))
      .orderBy(desc(sessions.updatedAt), desc(sessions.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map(toSession);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    const nextCursor = last ? encodeSessionCursor({ updatedAt: last.updatedAt.getTime(), id: last.id }) : null;
    return { items, nextCursor };
  }

  async updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    if (!isUuid(id)) throw sessionNotFound(id);
    const when = new Date(at);
    const set: PgUpdateSetSource<typeof sessions> = {
      version: sql`${sessions.version} + 1`,
      state: patch.state ?? 'active',
      updatedAt: when,
      lastActivityAt: when,
    };
    if (patch.metadata) set.metadata = patch.metadata;
    if (patch.members) set.members = patch.members;
    if (patch.agentState) set.agentState = agentStateChange(patch.agentState);
    // An explicit state may revive an expired session; any other write to one is refused.
    const allowExpired = patch.state !== undefined;
    const [row] = await this.db
      .update(sessions)
      .set(set)
      .where(guardedWrite(id, expectedVersion, allowExpired))
      .returning();
    if (row) return toSession(row);
    throw await this.refusal(this.db, id, allowExpired);
  }

  async appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    if (!isUuid(id)) throw sessionNotFound(id);
    const ids = messageIdsOf(messages);
    const when = new Date(at);
    try {
      return await this.db.transaction(async (tx) => {
        // The row lock this update takes serialises concurrent appenders; the seq range follows
        // from the count it returns, so two appends can never claim the same seq.
        const [row] = await tx
          .update(sessions)
          .set({
            messageCount: sql`${sessions.messageCount} + ${messages.length}`,
            version: sql`${sessions.version} + 1`,
            state: 'active',
            updatedAt: when,
            lastActivityAt: when,
          })
          .where(guardedWrite(id, expectedVersion, false))
          .returning();
        if (!row) throw await this.refusal(tx, id, false);
        const inserted = await insertMessages(tx, id, row.messageCount - messages.length + 1, messages, when, row.version);
        if (inserted.length < messages.length) throw new MessageIdsTaken();
        return { session: toSession(row), messages: inserted };
      });
    } catch (err) {
      // Optimistic: the common append costs no lookup. Only a write that was refused, or whose
      // ids collided (and was rolled back), is judged as a possible retry of an earlier one.
      const maybeRetry =
        err instanceof MessageIdsTaken || HubError.is(err, 'SESSION_VERSION_CONFLICT') || HubError.is(err, 'SESSION_EXPIRED');
      if (ids.length === 0 || !maybeRetry) throw err;
      const replay = await this.earlierWrite(id, ids);
      if (replay) return replay;
      if (err instanceof MessageIdsTaken)
        throw new HubError('SESSION_MESSAGE_ID_CONFLICT', `message ids of this write collided in session ${id}`, { sessionId: id, ids });
      throw err;
    }
  }

  async deleteSession(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.db.delete(sessions).where(eq(sessions.id, id)).returning({ id: sessions.id });
    return rows.length > 0;
  }

  sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }> {
    const when = new Date(at);
    const bumped = { version: sql`${sessions.version} + 1`, updatedAt: when };
    return this.db.transaction(async (tx) => {
      // Expire before idling, so a session is seen idle by at least one sweep before it expires.
      const expired = await tx
        .update(sessions)
        .set({ ...bumped, state: 'expired' })
        .where(and(eq(sessions.state, 'idle'), lt(sessions.lastActivityAt, new Date(expireBefore))))
        .returning({ id: sessions.id });
      const idled = await tx
        .update(sessions)
        .set({ ...bumped, state: 'idle' })
        .where(and(eq(sessions.state, 'active'), lt(sessions.lastActivityAt, new Date(idleBefore))))
        .returning({ id: sessions.id });
      return { idled: idled.map((r) => r.id), expired: expired.map((r) => r.id) };
    });
  }

  async purgeExpired(before: number): Promise<number> {
    const purged = this.db.$with('purged').as(
      this.db
        .delete(sessions)
        .where(and(eq(sessions.state, 'expired'), lt(sessions.lastActivityAt, new Date(before))))
        .returning({ id: sessions.id }),
    );
    const [row] = await this.db.with(purged).select({ n: count() }).from(purged);
    return row?.n ?? 0;
  }

  async countByState(): Promise<Record<SessionState, number>> {
    const rows = await this.db.select({ state: sessions.state, n: count() }).from(sessions).groupBy(sessions.state);
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    for (const r of rows) counts[r.state as SessionState] = r.n;
    return counts;
  }

  /** The earlier write these ids repeat, answered as it was (see the SessionStore port). */
  private async earlierWrite(id: string, ids: string[]): Promise<StoredAppend | undefined> {
    const found = await this.db
      .select({ messageId: sessionMessages.messageId, version: sessionMessages.sessionVersion })
      .from(sessionMessages)
      .where(and(eq(sessionMessages.sessionId, id), inArray(sessionMessages.messageId, ids)));
    const versions = new Map(found.map((r) => [r.messageId!, r.version ?? undefined]));
    const version = earlierWriteOf(id, ids, (messageId) => versions.get(messageId));
    if (version === undefined) return undefined;
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id));
    if (!row) return undefined;
    const original = await this.db
      .select()
      .from(sessionMessages)
      .where(and(eq(sessionMessages.sessionId, id), eq(sessionMessages.sessionVersion, version)))
      .orderBy(asc(sessionMessages.seq));
    return replayedWrite(toSession(row), { version, messages: original.map(toMessage) });
  }

  private async refusal(db: SqlDatabase, id: string, allowExpired: boolean) {
    const [current] = await db.select({ version: sessions.version, state: sessions.state }).from(sessions).where(eq(sessions.id, id));
    return sessionWriteRefusal(id, current ?? null, allowExpired);
  }
}

/** The WHERE of a single-statement optimistic write: the row, at the expected version, writable. */
function guardedWrite(id: string, expectedVersion: number | undefined, allowExpired: boolean): SQL | undefined {
  return and(
    eq(sessions.id, id),
    expectedVersion !== undefined ? eq(sessions.version, expectedVersion) : undefined,
    allowExpired ? undefined : ne(sessions.state, 'expired'),
  );
}

function agentStateChange(change: { agentId: string; state: unknown }): SQL {
  if (change.state === null || change.state === undefined) {
    return sql`${sessions.agentState} - ${change.agentId}::text`;
  }
  const entry = sql`jsonb_build_object(${change.agentId}::text, ${JSON.stringify(change.state)}::jsonb)`;
  return sql`${sessions.agentState} || ${entry}`;
}

async function insertMessages(
  db: SqlDatabase,
  sessionId: string,
  firstSeq: number,
  messages: NewMessageRecord[],
  at: Date,
  sessionVersion: number,
): Promise<SessionMessage[]> {
  const inserted: SessionMessage[] = [];
  for (let start = 0; start < messages.length; start += MESSAGE_ROWS_PER_INSERT) {
    const chunk = messages.slice(start, start + MESSAGE_ROWS_PER_INSERT).map((m, i) => ({
      sessionId,
      seq: firstSeq + start + i,
      messageId: m.id ?? null,
      sessionVersion,
      role: m.role,
      author: m.author,
      ...messageColumns(m),
      metadata: m.metadata,
      createdAt: at,
    }));
    // A taken id inserts nothing (rather than failing the statement), so the caller can tell a
    // retry from any other error; it rolls the whole write back when that happens.
    const rows = await db
      .insert(sessionMessages)
      .values(chunk)
      .onConflictDoNothing({ target: [sessionMessages.sessionId, sessionMessages.messageId] })
      .returning();
    inserted.push(...rows.sort((a, b) => a.seq - b.seq).map(toMessage));
  }
  return inserted;
}
