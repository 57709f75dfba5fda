import { join } from 'node:path';
import { MemoryStore, type Store } from '@agent-hub/core';
import { HubError } from '@agent-hub/protocol';
import { openFileStore } from './file/file-store.ts';
import type { PgliteIsolation } from './pglite/pglite-thread.ts';
import { openPgliteStoreInWorker } from './pglite/pglite-worker-store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import { openRedisStore } from './redis/redis-store.ts';

export interface OpenStoreOptions {
  kind: 'memory' | 'pglite' | 'postgres' | 'redis' | 'file';
  /**
   * Required for pglite and file: the hub's data folder (PGlite's database goes in
   * `<dataDir>/pglite`, the file store's files in `<dataDir>/file-store`).
   */
  dataDir?: string;
  /** For pglite: a worker thread (default) or a child process (its memory is not the hub's). */
  pgliteIsolation?: PgliteIsolation;
  /** Required for postgres. */
  databaseUrl?: string;
  /** Required for redis. */
  redisUrl?: string;
  /** For redis: put before every key (default 'agent-hub:store:'), so several hubs can share a server. */
  redisKeyPrefix?: string;
}

/** Opens the store the configuration names, migrated and ready. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  switch (opts.kind) {
    case 'memory':
      return new MemoryStore();
    case 'pglite':
      if (!opts.dataDir) throw new HubError('CONFIG_INVALID', 'a pglite store needs a data directory');
      // Off the hub's event loop (a worker thread or a child process): PGlite runs synchronously,
      // and on the event loop every commit would hold up heartbeats.
      return openPgliteStoreInWorker({ dataDir: opts.dataDir }, opts.pgliteIsolation);
    case 'postgres':
      if (!opts.databaseUrl) throw new HubError('CONFIG_INVALID', 'a postgres store needs a database URL');
      return openPostgresStore({ url: opts.databaseUrl });
    case 'redis':
      if (!opts.redisUrl) throw new HubError('CONFIG_INVALID', 'a redis store needs a Redis URL');
      return openRedisStore({ url: opts.redisUrl, keyPrefix: opts.redisKeyPrefix });
    case 'file':
      if (!opts.dataDir) throw new HubError('CONFIG_INVALID', 'a file store needs a data directory');
      return openFileStore({ dataDir: join(opts.dataDir, FILE_STORE_FOLDER) });
  }
}

// A folder of its own, beside `pglite`, the secrets and the outbox journal in the data folder.
const FILE_STORE_FOLDER = 'file-store';
