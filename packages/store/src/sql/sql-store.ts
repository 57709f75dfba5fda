import { StoreShell } from '@agent-hub/core/store-kit';
import { sql } from 'drizzle-orm';
import { withDriverErrors } from '../store-unavailable.ts';
import { SqlAgentStore } from './sql-agent-store.ts';
import { SqlCheckpointStore } from './sql-checkpoint-store.ts';
import type { SqlDatabase } from './sql-database.ts';
import { SqlEventLog, type RawDriver } from './sql-event-log.ts';
import { SqlKeyValueStore } from './sql-kv-store.ts';
import { SqlSessionStore } from './sql-session-store.ts';

/**
 * The one SQL implementation of the store port, for any Drizzle PostgreSQL database; the PGlite
 * and postgres.js adapters only open the driver, migrate, and say how to release it.
 */
export class SqlStore extends StoreShell {
  constructor(
    readonly kind: 'pglite' | 'postgres',
    db: SqlDatabase,
    release: () => Promise<void>,
    raw?: RawDriver,
    /** Asks whether the database answers; by default `select 1` through `db`. */
    ping?: () => Promise<void>,
  ) {
    super({
      sessions: new SqlSessionStore(db),
      events: new SqlEventLog(db, raw),
      agents: new SqlAgentStore(db, raw),
      kv: new SqlKeyValueStore(db),
      checkpoints: new SqlCheckpointStore(db),
      ping:
        ping ??
        (async () => {
          await db.execute(sql`select 1`);
        }),
      release,
      translate: withDriverErrors(),
    });
  }
}
