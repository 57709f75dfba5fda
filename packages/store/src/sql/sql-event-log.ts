import { deadLetterConflict, deadLetterNotFound, type DeadLetterStatusChange, type EventLog, type EventQuery } from '@agent-hub/core';
import { PRIORITY_RANK, type DeadLetter, type DeadLetterStatus, type HubEvent } from '@agent-hub/protocol';
import { and, asc, count, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import { withStatus } from '@agent-hub/core/store-kit';
import { agentOffsets, deadLetters, events } from '../schema.ts';
import { toDeadLetter, toHubEvent } from './rows.ts';
import type { SqlDatabase } from './sql-database.ts';
import { topicCondition } from './topic-condition.ts';

/**
 * Runs a statement Drizzle wrote on the driver itself. The event insert runs thousands of times a
 * second (the agent upsert too, in a connect storm) and a replay reads thousands of rows; PGlite
 * answers them faster without the per-query result-parser options and per-row mapping of
 * Drizzle's PGlite session (~30 % of a 10,000-event read), and postgres.js runs the inserts
 * prepared, in one round trip instead of two. `insert` returns the rows written; `rows` returns
 * each row as an array of column values, `bigint` columns as numbers and `timestamptz` as Dates.
 */
export interface RawDriver {
  insert(statement: string, params: unknown[]): Promise<number | undefined>;
  rows(statement: string, params: unknown[]): Promise<unknown[][]>;
  /**
   * Loads `text` (COPY's text format: a line per row, tab-separated) into `target` (a table and its
   * column list) with one COPY. A conflict fails the whole statement: COPY has no ON CONFLICT.
   */
  copy?(target: string, text: string): Promise<number | undefined>;
}

/** The event table and its columns in table order, as COPY names them. */
const COPY_TARGET = '"events" ("offset", "id", "topic", "priority", "ts", "publisher", "payload")';

const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyField = (value: string) => value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!);

/** A batch in COPY's text format, columns as in `COPY_TARGET`. */
function copyText(batch: HubEvent[]): string {
  let text = '';
  for (const e of batch) {
    const payload = copyField(JSON.stringify(e.payload ?? null));
    text += `${e.offset}\t${copyField(e.id)}\t${copyField(e.topic)}\t${PRIORITY_RANK[e.priority]}\t${copyField(e.ts)}\t${copyField(e.publisher)}\t${payload}\n`;
  }
  return text;
}

/** PostgreSQL's unique_violation. */
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === '23505';

/**
 * Drizzle's text of a batch statement, for `RawDriver` (built once, then reused): its parameters
 * must be exactly the batch's columns, in order, or a raw call would bind them wrongly.
 */
export function columnStatement(query: { toSQL(): { sql: string; params: unknown[] } }, columns: unknown[][], what: string): string {
  const q = query.toSQL();
  if (q.params.length !== columns.length || q.params.some((p, i) => p !== columns[i]))
    throw new Error(`${what} does not take the batch columns as its parameters, in order`);
  return q.sql;
}

/** The event columns in table order: what `readEvents` selects, and how a raw row is read. */
const EVENT_COLUMNS = {
  offset: events.offset,
  id: events.id,
  topic: events.topic,
  priority: events.priority,
  ts: events.ts,
  publisher: events.publisher,
  payload: events.payload,
};

/**
 * An event as one line of tab-separated fields, in `EVENT_COLUMNS`' order, `ts` as epoch
 * milliseconds. The payload comes last and never holds a tab: it is JSON text, which escapes them.
 */
const EVENT_LINE = sql<string>`${events.offset}::text || E'\\t' || ${events.id} || E'\\t' || ${events.topic} || E'\\t' || ${events.priority}::text || E'\\t' || (extract(epoch from ${events.ts}) * 1000)::int8::text || E'\\t' || ${events.publisher} || E'\\t' || ${events.payload}`;

/** An `EVENT_LINE` read back; undefined when another field held a tab, so the fields cannot be told apart. */
function fromLine(line: string): HubEvent | undefined {
  const f = line.split('\t');
  if (f.length !== 7) return undefined;
  return toHubEvent({
    offset: Number(f[0]),
    id: f[1]!,
    topic: f[2]!,
    priority: Number(f[3]),
    ts: new Date(Number(f[4])),
    publisher: f[5]!,
    payload: f[6]!,
  });
}

export class SqlEventLog implements EventLog {
  private insertStatement: string | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly raw?: RawDriver,
  ) {}

  async appendEvents(batch: HubEvent[]): Promise<string[]> {
    if (batch.length === 0) return [];
    const unique = [...new Set(batch.map((e) => e.id))];
    // COPY costs PGlite 20-30 % less per event than the insert below, but has no ON CONFLICT: a
    // batch with an id already stored (a re-send the hub's dedupe window no longer holds, or a
    // retry of a commit that did land) fails whole and is written by the insert instead.
    if (this.raw?.copy && unique.length === batch.length) {
      try {
        if ((await this.raw.copy(COPY_TARGET, copyText(batch))) === batch.length) return unique;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    // One statement per batch whatever its size: seven array parameters unnested into rows
    // (columns in table order), so group commit costs one round trip.
    const columns = [
      batch.map((e) => e.offset),
      batch.map((e) => e.id),
      batch.map((e) => e.topic),
      batch.map((e) => PRIORITY_RANK[e.priority]),
      batch.map((e) => e.ts),
      batch.map((e) => e.publisher),
      batch.map((e) => JSON.stringify(e.payload ?? null)),
    ];
    // The row count, not a row per event: parsing returned rows cost PGlite's driver more than
    // the insert's own work at thousands of events a second.
    const written = this.raw
      ? await this.raw.insert((this.insertStatement ??= this.statementFor(columns)), columns)
      : affectedRows(await this.insertOf(columns));
    if (written === unique.length) return unique;
    // Some were stored already (a re-send): the new ones are those now stored at their batch offset.
    const stored = await this.db
      .select({ id: events.id, offset: events.offset })
      .from(events)
      .where(
        inArray(
          events.offset,
          batch.map((e) => e.offset),
        ),
      );
    const fresh = new Set(stored.filter((r) => batch.some((e) => e.offset === r.offset && e.id === r.id)).map((r) => r.id));
    // In batch order, each once (a batch may repeat an id; only its first copy was stored).
    return unique.filter((id) => fresh.has(id));
  }

  private statementFor(columns: unknown[][]): string {
    return columnStatement(this.insertOf(columns), columns, 'the event insert');
  }

  /** The insert of one batch's columns, in the order the statement's parameters are numbered. */
  private insertOf(columns: unknown[][]) {
    const [offsets, ids, topics, priorities, times, publishers, payloads] = columns;
    const rows = sql`select * from unnest(
      ${sql.param(offsets)}::bigint[],
      ${sql.param(ids)}::text[],
      ${sql.param(topics)}::text[],
      ${sql.param(priorities)}::smallint[],
      ${sql.param(times)}::text[]::timestamptz[],
      ${sql.param(publishers)}::text[],
      ${sql.param(payloads)}::text[]
    )`;
    return this.db.insert(events).select(rows).onConflictDoNothing({ target: events.id });
  }

  async maxOffset(): Promise<number> {
    const [row] = await this.db.select({ max: sql<number>`coalesce(max(${events.offset}), 0)`.mapWith(Number) }).from(events);
    return row?.max ?? 0;
  }

  async hasEvent(id: string): Promise<boolean> {
    const rows = await this.db.select({ id: events.id }).from(events).where(eq(events.id, id)).limit(1);
    return rows.length > 0;
  }

  async offsetsOf(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select({ id: events.id, offset: events.offset }).from(events).where(inArray(events.id, ids));
    return new Map(rows.map((r) => [r.id, r.offset]));
  }

  async readEvents(q: EventQuery): Promise<HubEvent[]> {
    const where = and(
      q.afterOffset !== undefined ? gt(events.offset, q.afterOffset) : undefined,
      q.from !== undefined ? gte(events.ts, new Date(q.from)) : undefined,
      q.to !== undefined ? lt(events.ts, new Date(q.to)) : undefined,
      q.minPriority !== undefined ? gte(events.priority, PRIORITY_RANK[q.minPriority]) : undefined,
      topicCondition(q.patterns),
    );
    const read = () => this.db.select(EVENT_COLUMNS).from(events).where(where).orderBy(asc(events.offset)).limit(q.limit);
    const readLines = () => this.db.select({ line: EVENT_LINE }).from(events).where(where).orderBy(asc(events.offset)).limit(q.limit);
    if (!this.raw) return (await read()).map(toHubEvent);
    // Each row as one text column: PGlite's cost is per column it hands over (7 columns of 2,000
    // rows ~31 ms, the same rows as one ~9 ms), and a replay reads thousands of rows.
    const lines = await this.rawRows(readLines());
    const parsed = lines.map(([line]) => fromLine(line as string));
    if (!parsed.includes(undefined)) return parsed as HubEvent[];
    // A row whose id, topic or publisher holds a tab (an import can store one): column by column.
    return (await this.rawRows(read())).map(([offset, id, topic, priority, ts, publisher, payload]) =>
      toHubEvent({
        offset: Number(offset),
        id: id as string,
        topic: topic as string,
        priority: priority as number,
        ts: ts instanceof Date ? ts : new Date(ts as string),
        publisher: publisher as string,
        payload: payload as string,
      }),
    );
  }

  private rawRows(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<unknown[][]> {
    const { sql: statement, params } = query.toSQL();
    return this.raw!.rows(statement, params);
  }

  async deleteEventsBefore(before: number, pattern?: string): Promise<number> {
    // Count in the database: a retention run may delete far more rows than we want to ship back.
    const deleted = this.db.$with('deleted').as(
      this.db
        .delete(events)
        .where(and(lt(events.ts, new Date(before)), topicCondition(pattern === undefined ? undefined : [pattern])))
        .returning({ offset: events.offset }),
    );
    const [row] = await this.db.with(deleted).select({ n: count() }).from(deleted);
    return row?.n ?? 0;
  }

  async getAgentOffset(agentId: string): Promise<number | null> {
    const [row] = await this.db.select().from(agentOffsets).where(eq(agentOffsets.agentId, agentId));
    return row ? row.offset : null;
  }

  async setAgentOffset(agentId: string, offset: number): Promise<void> {
    await this.db
      .insert(agentOffsets)
      .values({ agentId, offset })
      .onConflictDoUpdate({
        target: agentOffsets.agentId,
        // A late or replayed ack must never move a subscriber back.
        set: { offset: sql`greatest(${agentOffsets.offset}, excluded."offset")` },
      });
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    await this.db
      .insert(deadLetters)
      .values({ ...withStatus(d), at: new Date(d.at), resolvedAt: d.resolvedAt ? new Date(d.resolvedAt) : null })
      .onConflictDoNothing({ target: deadLetters.id });
  }

  async listDeadLetters(limit: number, filter: { status?: DeadLetterStatus } = {}): Promise<DeadLetter[]> {
    const rows = await this.db
      .select()
      .from(deadLetters)
      .where(filter.status === undefined ? undefined : eq(deadLetters.status, filter.status))
      .orderBy(desc(deadLetters.at), sql`${deadLetters.id} collate "C" desc`)
      .limit(limit);
    return rows.map(toDeadLetter);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    const [row] = await this.db.select().from(deadLetters).where(eq(deadLetters.id, id));
    return row ? toDeadLetter(row) : null;
  }

  async setDeadLetterStatus(id: string, from: DeadLetterStatus, change: DeadLetterStatusChange): Promise<DeadLetter> {
    // One conditional update: of two concurrent changes (on any node) exactly one matches `from`.
    const [row] = await this.db
      .update(deadLetters)
      .set({ status: change.status, resolvedBy: change.by, resolvedAt: change.at === null ? null : new Date(change.at) })
      .where(and(eq(deadLetters.id, id), eq(deadLetters.status, from)))
      .returning();
    if (row) return toDeadLetter(row);
    const current = await this.getDeadLetter(id);
    if (!current) throw deadLetterNotFound(id);
    throw deadLetterConflict(current, from);
  }
}

/** Rows an insert wrote, from either driver's result (PGlite: `affectedRows`, postgres.js: `count`). */
function affectedRows(result: unknown): number | undefined {
  const r = result as { affectedRows?: unknown; count?: unknown };
  const n = r.affectedRows ?? r.count;
  return typeof n === 'number' ? n : undefined;
}
