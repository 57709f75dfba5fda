import type { Store } from '@agent-hub/core';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { RawDriver } from '../sql/sql-event-log.ts';
import { toStoreError } from '../store-unavailable.ts';

export interface PostgresStoreOptions {
  url: string;
  /** Pool size; defaults to 10. */
  max?: number;
}

// Session-level advisory lock key ("agenthub" in ASCII) held around migrations, so hub processes
// starting together against one database migrate one after the other.
const MIGRATION_LOCK_KEY = 0x6167656e74687562n;

const rawText = (value: string) => value;

/**
 * Seconds before reconnect attempt `retries`. postgres.js's own schedule grows to 10–20 s after a
 * few failures, and every query waits for the next attempt: during an outage a query took up to
 * 18 s to fail, and after one the pool stayed away for up to 20 s more. Capped at 0.5–1 s, a lost
 * database costs a refused connect a second per pooled connection, and its return is seen at once.
 */
function reconnectDelaySeconds(retries: number, random: () => number = Math.random): number {
  return (0.5 + random() / 2) * Math.min(0.05 * 2 ** retries, 1);
}

function connect(url: string, max: number) {
  return postgres(url, {
    max,
    backoff: (retries: number) => reconnectDelaySeconds(retries),
    // A connect that hangs (packets dropped, not refused) gives up within this, not 30 s.
    connect_timeout: 10,
    // Notices such as "schema already exists, skipping" are expected, not news.
    onnotice: () => {},
    // json/jsonb travel as raw text; the schema's JSON columns parse them exactly once.
    types: { rawJson: { to: 3802, from: [114, 3802], serialize: rawText, parse: rawText } },
  });
}

/** Opens a pool on `url` and brings the database's schema up to date before returning. */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  try {
    await migrateUnderLock(opts.url);
  } catch (err) {
    throw toStoreError(err);
  }
  const client = connect(opts.url, opts.max ?? 10);
  // The event insert, thousands of times a second, as a prepared statement (one per connection):
  // unprepared, postgres.js asks the server for its parameter types on every call (Parse +
  // Describe, then Bind + Execute once they are back), two round trips and a third of the driver's
  // work per batch. The event read goes to postgres.js too, unprepared: its text varies with the
  // query, and a prepared statement per text would pile up on every connection.
  const raw: RawDriver = {
    insert: async (statement, params) => (await client.unsafe(statement, params as never[], { prepare: true })).count,
    rows: async (statement, params) => await client.unsafe(statement, params as never[]).values(),
  };
  // Pings on a connection of their own: through the pool, a ping would queue behind busy
  // connections, and a store that is only busy would look silent (reads refused, writes queued).
  const pinger = connect(opts.url, 1);
  const ping = async () => void (await pinger`select 1`);
  const release = async () => void (await Promise.all([client.end({ timeout: 5 }), pinger.end({ timeout: 5 })]));
  return new SqlStore('postgres', drizzle({ client }), release, raw, ping);
}

async function migrateUnderLock(url: string): Promise<void> {
  // One connection, so the lock, the migration and the unlock share a session.
  const client = connect(url, 1);
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      // If the connection is gone the server has dropped the lock with it; keep the first error.
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(() => {});
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
