import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, SessionStore } from '@agent-hub/core';
import { HubError, SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { and, arrayContains, asc, count, desc, eq, gt, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { sessionMessages, sessions } from '../schema.ts';
import { decodeSessionCursor, encodeSessionCursor } from '../session-cursor.ts';
import { sessionNotFound, sessionWriteRefusal } from '../session-write-refusal.ts';
import { toMessage, toSession } from './rows.ts';
import { isUuid, type SqlDatabase } from './sql-database.ts';

// 7 bind parameters per message row keeps one insert well under PostgreSQL's 65,535 limit.
const MESSAGE_ROWS_PER_INSERT = 5000;

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: SqlDatabase) {}

  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
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
      await insertMessages(tx, rec.id, 1, messages, at);
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

  async updateSession(
    id: string,
    expectedVersion: number | undefined,
    patch: SessionPatch,
    at: number,
  ): Promise<Session> {
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

  async appendMessages(
    id: string,
    expectedVersion: number | undefined,
    messages: NewMessageRecord[],
    at: number,
  ): Promise<{ session: Session; messages: SessionMessage[] }> {
    if (!isUuid(id)) throw sessionNotFound(id);
    const when = new Date(at);
    return this.db.transaction(async (tx) => {
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
      const inserted = await insertMessages(tx, id, row.messageCount - messages.length + 1, messages, when);
      return { session: toSession(row), messages: inserted };
    });
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

  private async refusal(db: SqlDatabase, id: string, allowExpired: boolean) {
    const [current] = await db
      .select({ version: sessions.version, state: sessions.state })
      .from(sessions)
      .where(eq(sessions.id, id));
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
): Promise<SessionMessage[]> {
  const inserted: SessionMessage[] = [];
  for (let start = 0; start < messages.length; start += MESSAGE_ROWS_PER_INSERT) {
    const chunk = messages.slice(start, start + MESSAGE_ROWS_PER_INSERT).map((m, i) => ({
      sessionId,
      seq: firstSeq + start + i,
      role: m.role,
      author: m.author,
      content: m.content,
      metadata: m.metadata,
      createdAt: at,
    }));
    const rows = await db.insert(sessionMessages).values(chunk).returning();
    inserted.push(...rows.sort((a, b) => a.seq - b.seq).map(toMessage));
  }
  return inserted;
}
