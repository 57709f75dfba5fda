import type { AgentRecord, AgentStore } from '@agent-hub/core';
import { eq, sql } from 'drizzle-orm';
import { agents } from '../schema.ts';
import { toAgentRecord } from './rows.ts';
import type { SqlDatabase } from './sql-database.ts';
import { columnStatement, type RawDriver } from './sql-event-log.ts';

export class SqlAgentStore implements AgentStore {
  private upsertStatement: string | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly raw?: RawDriver,
  ) {}

  upsertAgent(rec: AgentRecord): Promise<void> {
    return this.upsertAgents([rec]);
  }

  async upsertAgents(batch: AgentRecord[]): Promise<void> {
    if (!batch.length) return;
    // The last record of an id wins, as in the other stores (an upsert may touch a row only once).
    const recs = [...new Map(batch.map((r) => [r.id, r])).values()];
    // One statement per batch, as the event insert: seven array parameters unnested into rows.
    // A connect storm writes thousands of records a second; Drizzle's multi-row VALUES built and
    // sent seven parameters per record, and cost the store more than the write itself.
    const columns = [
      recs.map((r) => r.id),
      recs.map((r) => r.name),
      recs.map((r) => JSON.stringify(r.capabilities)),
      recs.map((r) => r.priority),
      recs.map((r) => r.recovery),
      recs.map((r) => JSON.stringify(r.meta ?? {})),
      recs.map((r) => new Date(r.registeredAt).toISOString()),
    ];
    if (this.raw) await this.raw.insert((this.upsertStatement ??= this.statementFor(columns)), columns);
    else await this.upsertOf(columns);
  }

  private statementFor(columns: unknown[][]): string {
    return columnStatement(this.upsertOf(columns), columns, 'the agent upsert');
  }

  /** The upsert of one batch's columns, each id at most once. */
  private upsertOf(columns: unknown[][]) {
    const [ids, names, capabilities, priorities, recoveries, metas, times] = columns;
    const rows = sql`select u.id, u.name, array(select jsonb_array_elements_text(u.capabilities)), u.priority, u.recovery, u.meta, u.at
      from unnest(
        ${sql.param(ids)}::text[],
        ${sql.param(names)}::text[],
        ${sql.param(capabilities)}::text[]::jsonb[],
        ${sql.param(priorities)}::integer[],
        ${sql.param(recoveries)}::text[],
        ${sql.param(metas)}::text[]::jsonb[],
        ${sql.param(times)}::text[]::timestamptz[]
      ) as u(id, name, capabilities, priority, recovery, meta, at)`;
    return this.db
      .insert(agents)
      .select(rows)
      .onConflictDoUpdate({
        target: agents.id,
        set: {
          name: sql.raw('excluded.name'),
          capabilities: sql.raw('excluded.capabilities'),
          priority: sql.raw('excluded.priority'),
          recovery: sql.raw('excluded.recovery'),
          meta: sql.raw('excluded.meta'),
          registeredAt: sql.raw('excluded.registered_at'),
        },
      });
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const [row] = await this.db.select().from(agents).where(eq(agents.id, id));
    return row ? toAgentRecord(row) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    // Byte order, so every adapter (and every database collation) lists in the same order.
    const rows = await this.db
      .select()
      .from(agents)
      .orderBy(sql`${agents.id} collate "C"`);
    return rows.map(toAgentRecord);
  }
}
