import { access, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@agent-hub/core';
import type { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { toStoreError } from '../store-unavailable.ts';
import { durableStartParams, syncToDisk, syncTree } from './pglite-durable.mjs';
import { AUTO_VACUUM_DEFAULTS, AutoVacuum, type AutoVacuumSettings } from './auto-vacuum.ts';
import { WAL_CHECKPOINT_DEFAULTS, WalCheckpointer, type WalCheckpointSettings } from './wal-checkpointer.ts';
import { WAL_PREALLOC_DEFAULTS, WalPreallocator, type WalPreallocSettings } from './wal-preallocator.ts';

/** Pass as `dataDir` for a throwaway database that lives in memory. */
export const PGLITE_IN_MEMORY = 'memory://';

export interface PgliteStoreOptions {
  /** The hub's data folder; the database lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** The store's own upkeep (WalCheckpointer, AutoVacuum); tests make it run sooner. */
  maintenance?: PgliteMaintenanceSettings;
}

/** When the PGlite store takes WAL checkpoints and vacuums, as a server's background processes would. */
export interface PgliteMaintenanceSettings {
  walCheckpoints?: Partial<WalCheckpointSettings>;
  vacuum?: Partial<AutoVacuumSettings>;
  /** WAL segments made ahead of use on a database in a folder; `false`: PostgreSQL makes each in the commit that needs it. */
  walPrealloc?: Partial<WalPreallocSettings> | false;
}

const rawText = (value: string) => value;

// PostgreSQL's default 128 MB of shared buffers is allocated and zeroed in PGlite's WASM memory at
// start, so it is all resident however small the database. 16 MB cuts ~120 MB of RSS; offset-range
// reads cost the same, appends ~5% more, and a topic-filtered scan of a log that 128 MB would
// have cached ~30% more (the pages then come from the OS cache). Figures in docs/storage.md.
export const MEMORY_SETTINGS = ['-c', 'shared_buffers=16MB'];

const pgliteFolder = (dataDir: string) => join(dataDir, 'pglite');

/**
 * A PGlite configured as the SQL store expects: json/jsonb travel as raw text both ways, and the
 * schema's JSON columns parse them exactly once. On a folder, each commit is on disk before it
 * returns (fsync, see pglite-durable.mjs), as with PostgreSQL.
 */
export async function createPgliteClient(dataDir: string): Promise<PGlite> {
  // Loaded on first use: a hub whose PGlite runs in a worker never loads it on the main thread.
  const { PGlite, types } = await import('@electric-sql/pglite');
  const options = {
    parsers: { [types.JSON]: rawText, [types.JSONB]: rawText },
    serializers: { [types.JSON]: rawText, [types.JSONB]: rawText },
    startParams: [...PGlite.defaultStartParams, ...MEMORY_SETTINGS],
  };
  if (dataDir === PGLITE_IN_MEMORY) return PGlite.create(options);
  const fresh = !(await hasPgliteDatabase(dataDir));
  const folder = await preparePgliteFolder(dataDir);
  const client = await PGlite.create(folder, {
    ...options,
    startParams: [...durableStartParams(PGlite.defaultStartParams), ...MEMORY_SETTINGS],
  });
  try {
    syncToDisk(client);
    // PGlite's initdb wrote the new database with fsync off (the hub's own start makes it in a
    // child process that does the same).
    if (fresh) syncTree(folder);
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}

/** Creates (or tightens) the database folder: it holds every session and event, so it is the hub's user's only. */
export async function preparePgliteFolder(dataDir: string): Promise<string> {
  const folder = pgliteFolder(dataDir);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  return folder;
}

/** Opens (creating and migrating as needed) the embedded database of a hub. */
export async function openPgliteStore(opts: PgliteStoreOptions): Promise<Store> {
  const client = await createPgliteClient(opts.dataDir);
  try {
    return await storeOn(client, () => client.close(), opts.maintenance);
  } catch (err) {
    await client.close();
    throw toStoreError(err);
  }
}

/**
 * A store on a client from `createPgliteClient` that the caller keeps owning: `close()` closes
 * the store, not the client. Tests use it to run many stores against one migrated database.
 */
export function openPgliteStoreOn(client: PGlite, maintenance?: PgliteMaintenanceSettings): Promise<Store> {
  return storeOn(client, async () => {}, maintenance);
}

/** Whether `dataDir` already holds a database (PGlite runs initdb when it does not). */
export async function hasPgliteDatabase(dataDir: string): Promise<boolean> {
  if (dataDir === PGLITE_IN_MEMORY) return false;
  return access(join(pgliteFolder(dataDir), 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

async function storeOn(client: PGlite, release: () => Promise<void>, maintenance: PgliteMaintenanceSettings = {}): Promise<Store> {
  const [{ drizzle }, { migrate }] = await Promise.all([import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')]);
  const db = drizzle({ client });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  // PostgreSQL in PGlite has no checkpointer and no autovacuum: without these its WAL only ever
  // grows, and so do tables whose rows are deleted (the event log under retention). Nor does a
  // commit find its next WAL segment ready: WalPreallocator makes them ahead, off this thread.
  const checkpointer = new WalCheckpointer(client, { ...WAL_CHECKPOINT_DEFAULTS, ...maintenance.walCheckpoints });
  const vacuum = new AutoVacuum(client, { ...AUTO_VACUUM_DEFAULTS, ...maintenance.vacuum });
  // A database in memory has no WAL files to make.
  const folder = client.dataDir && !client.dataDir.includes('://') ? client.dataDir : undefined;
  const prealloc =
    folder && maintenance.walPrealloc !== false
      ? new WalPreallocator(client, join(folder, 'pg_wal'), { ...WAL_PREALLOC_DEFAULTS, ...maintenance.walPrealloc })
      : undefined;
  checkpointer.start();
  vacuum.start();
  prealloc?.start();
  // The event log's hot statements go to PGlite directly (see RawDriver).
  const raw = {
    insert: async (statement: string, params: unknown[]) => (await client.query(statement, params)).affectedRows,
    rows: async (statement: string, params: unknown[]) => (await client.query<unknown[]>(statement, params, { rowMode: 'array' })).rows,
    // PGlite reads a COPY's input from the blob it is given, as the device file '/dev/blob'. With
    // no parameters the statement goes as one simple query (`exec`): `query` would take it through
    // six calls into the engine (parse, describe, bind, describe, execute, sync) instead of two.
    copy: async (target: string, text: string) =>
      (await client.exec(`copy ${target} from '/dev/blob'`, { blob: new Blob([text]) }))[0]?.affectedRows,
  };
  const stop = async () => {
    await Promise.all([checkpointer.stop(), vacuum.stop(), prealloc?.stop()]);
    await release();
  };
  return new SqlStore('pglite', db, stop, raw);
}
