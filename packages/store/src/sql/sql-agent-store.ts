import type { AgentRecord, AgentStore } from '@agent-hub/core';
import { eq, sql } from 'drizzle-orm';
import { agents } from '../schema.ts';
import { toAgentRecord } from './rows.ts';
import type { SqlDatabase } from './sql-database.ts';

export class SqlAgentStore implements AgentStore {
  constructor(private readonly db: SqlDatabase) {}

  async upsertAgent(rec: AgentRecord): Promise<void> {
    const row = { ...rec, registeredAt: new Date(rec.registeredAt) };
    const { id: _id, ...changes } = row;
    await this.db.insert(agents).values(row).onConflictDoUpdate({ target: agents.id, set: changes });
  }

  async upsertAgents(recs: AgentRecord[]): Promise<void> {
    if (!recs.length) return;
    const rows = recs.map((rec) => ({ ...rec, registeredAt: new Date(rec.registeredAt) }));
    await this.db
      .insert(agents)
      .values(rows)
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
