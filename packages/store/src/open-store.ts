import type { Store } from '@agent-hub/core';
import { HubError } from '@agent-hub/protocol';
import { MemoryStore } from './memory/memory-store.ts';
import { openPgliteStore } from './pglite/pglite-store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';

export interface OpenStoreOptions {
  kind: 'memory' | 'pglite' | 'postgres';
  /** Required for pglite: the hub's data folder (the database goes in `<dataDir>/pglite`). */
  dataDir?: string;
  /** Required for postgres. */
  databaseUrl?: string;
}

/** Opens the store the configuration names, migrated and ready. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  switch (opts.kind) {
    case 'memory':
      return new MemoryStore();
    case 'pglite':
      if (!opts.dataDir) throw new HubError('CONFIG_INVALID', 'a pglite store needs a data directory');
      return openPgliteStore({ dataDir: opts.dataDir });
    case 'postgres':
      if (!opts.databaseUrl) throw new HubError('CONFIG_INVALID', 'a postgres store needs a database URL');
      return openPostgresStore({ url: opts.databaseUrl });
  }
}
