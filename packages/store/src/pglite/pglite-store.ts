import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@agent-hub/core';
import { PGlite, types } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { toStoreError } from '../store-unavailable.ts';

/** Pass as `dataDir` for a throwaway database that lives in memory. */
export const PGLITE_IN_MEMORY = 'memory://';

export interface PgliteStoreOptions {
  /** The hub's data folder; the database lives in `<dataDir>/pglite`. */
  dataDir: string;
}

const rawText = (value: string) => value;

/**
 * A PGlite configured as the SQL store expects: json/jsonb travel as raw text both ways, and the
 * schema's JSON columns parse them exactly once.
 */
export async function createPgliteClient(dataDir: string): Promise<PGlite> {
  const options = {
    parsers: { [types.JSON]: rawText, [types.JSONB]: rawText },
    serializers: { [types.JSON]: rawText, [types.JSONB]: rawText },
  };
  if (dataDir === PGLITE_IN_MEMORY) return PGlite.create(options);
  const folder = join(dataDir, 'pglite');
  // The database holds every session and event: readable by the hub's user only.
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  return PGlite.create(folder, options);
}

/** Opens (creating and migrating as needed) the embedded database of a hub. */
export async function openPgliteStore(opts: PgliteStoreOptions): Promise<Store> {
  const client = await createPgliteClient(opts.dataDir);
  try {
    return await storeOn(client, () => client.close());
  } catch (err) {
    await client.close();
    throw toStoreError(err);
  }
}

/**
 * A store on a client from `createPgliteClient` that the caller keeps owning: `close()` closes
 * the store, not the client. Tests use it to run many stores against one migrated database.
 */
export function openPgliteStoreOn(client: PGlite): Promise<Store> {
  return storeOn(client, async () => {});
}

async function storeOn(client: PGlite, release: () => Promise<void>): Promise<Store> {
  const db = drizzle({ client });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return new SqlStore('pglite', db, release);
}
