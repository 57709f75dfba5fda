import type { KeyValueStore } from '@agent-hub/core';
import { and, eq, sql } from 'drizzle-orm';
import { kvVersionConflict } from '@agent-hub/core/store-kit';
import { kv } from '../schema.ts';
import { escapeLike, type SqlDatabase } from './sql-database.ts';

export class SqlKeyValueStore implements KeyValueStore {
  constructor(private readonly db: SqlDatabase) {}

  async getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const [row] = await this.db.select({ value: kv.value, version: kv.version }).from(kv).where(eq(kv.key, key));
    return row ? { value: row.value as T, version: row.version } : null;
  }

  async putValue(key: string, value: unknown, expectedVersion: number): Promise<number> {
    // Each branch is one statement, so two writers with the same expected version cannot both win.
    const [row] =
      expectedVersion === 0
        ? await this.db
            .insert(kv)
            .values({ key, value, version: 1 })
            .onConflictDoNothing({ target: kv.key })
            .returning({ version: kv.version })
        : await this.db
            .update(kv)
            .set({ value, version: sql`${kv.version} + 1` })
            .where(and(eq(kv.key, key), eq(kv.version, expectedVersion)))
            .returning({ version: kv.version });
    if (row) return row.version;
    const current = await this.getValue(key);
    throw kvVersionConflict(key, current?.version ?? 0);
  }

  async deleteValue(key: string): Promise<void> {
    await this.db.delete(kv).where(eq(kv.key, key));
  }

  async listKeys(prefix: string): Promise<string[]> {
    const rows = await this.db
      .select({ key: kv.key })
      .from(kv)
      .where(sql`${kv.key} like ${escapeLike(prefix) + '%'} escape '\\'`)
      .orderBy(sql`${kv.key} collate "C"`);
    return rows.map((r) => r.key);
  }
}
