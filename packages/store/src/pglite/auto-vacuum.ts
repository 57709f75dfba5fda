import type { PGlite } from '@electric-sql/pglite';
import { UpkeepTask } from './upkeep-task.ts';

/**
 * PGlite's single-user PostgreSQL has no autovacuum either (no launcher, no workers). Without it,
 * the space of deleted and updated rows is never made reusable: the event log kept growing by
 * everything ever published although retention deleted the old events (measured: a table kept at
 * 100,000 rows grew 36 → 109 MB over four delete-and-refill rounds; 38 MB with a VACUUM in each),
 * and old transaction ids were never frozen. This runs the VACUUMs autovacuum would, with its
 * default thresholds, from the table statistics PostgreSQL keeps: a table is vacuumed once its dead
 * rows pass 50 + 20 % of its live rows, or the rows inserted since its last vacuum pass 1,000 +
 * 20 % (which also freezes old rows). A VACUUM runs on the store's one connection and holds it
 * while it works, and its work is the pages changed since the table's last one: checking every
 * 10 s keeps each short (154 ms for a 1,000,000-event log after deleting a twenty-fourth of it;
 * the first VACUUM of all 1,000,000 took 257 ms). No ANALYZE: it would sample ~30,000 rows each time,
 * and the store's queries are planned on their indexes without statistics, as before.
 */
export interface AutoVacuumSettings {
  /** How often the table statistics are read (10 s; autovacuum's `autovacuum_naptime` is 60 s). */
  checkEveryMs: number;
}

export const AUTO_VACUUM_DEFAULTS: AutoVacuumSettings = { checkEveryMs: 10_000 };

interface TableStats {
  schema: string;
  name: string;
  live: number;
  dead: number;
  inserted: number;
}

const TABLE_STATS = `select schemaname as schema, relname as name, n_live_tup::float8 as live, n_dead_tup::float8 as dead,
  n_ins_since_vacuum::float8 as inserted from pg_stat_user_tables`;

/** Whether autovacuum would vacuum this table now (its default thresholds and scale factors). */
export function vacuumDue(t: Pick<TableStats, 'live' | 'dead' | 'inserted'>): boolean {
  return t.dead > 50 + 0.2 * t.live || t.inserted > 1000 + 0.2 * t.live;
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

export class AutoVacuum extends UpkeepTask {
  /** Tables vacuumed so far (tests and diagnostics). */
  vacuumed = 0;

  constructor(
    private readonly client: PGlite,
    s: AutoVacuumSettings = AUTO_VACUUM_DEFAULTS,
  ) {
    super(s.checkEveryMs);
  }

  protected async work(): Promise<void> {
    const { rows } = await this.client.query<TableStats>(TABLE_STATS);
    for (const t of rows) {
      if (!vacuumDue(t)) continue;
      await this.client.exec(`vacuum ${quoted(t.schema)}.${quoted(t.name)}`);
      this.vacuumed++;
    }
  }
}
