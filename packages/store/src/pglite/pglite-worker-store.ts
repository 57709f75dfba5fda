import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store } from '@agent-hub/core';
import { StoreShell } from '@agent-hub/core/store-kit';
import type { PgliteStoreOptions } from './pglite-store.ts';
import { PgliteThread, type PgliteIsolation } from './pglite-thread.ts';
import { FORWARDED, type StorePart } from './worker-messages.ts';

type Forwarded = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * The store port on a PGlite database that lives in a worker thread: every method is one message
 * to the worker and resolves with its reply (structured clone keeps Maps and Dates), so the hub's
 * event loop never runs PGlite's synchronous work. HubErrors keep their code and details (the
 * worker's own store already mapped driver failures, so nothing is translated here).
 */
export class PgliteWorkerStore extends StoreShell {
  readonly kind = 'pglite';

  constructor(thread: PgliteThread, release: () => Promise<void>) {
    const forward = (part: Exclude<StorePart, 'store'>): Forwarded => {
      const methods = Object.keys(FORWARDED[part]).map((method) => [method, (...args: unknown[]) => thread.call(part, method, args)]);
      return Object.fromEntries(methods) as Forwarded;
    };
    super({
      sessions: forward('sessions') as unknown as SessionStore,
      events: forward('events') as unknown as EventLog,
      agents: forward('agents') as unknown as AgentStore,
      kv: forward('kv') as unknown as KeyValueStore,
      checkpoints: forward('checkpoints') as unknown as CheckpointStore,
      ping: async () => {
        await thread.call('store', 'ping', []);
      },
      release,
    });
  }
}

/** Opens (creating and migrating as needed) the hub's embedded database in a child process or a worker thread. */
export async function openPgliteStoreInWorker(opts: PgliteStoreOptions, isolation?: PgliteIsolation): Promise<Store> {
  const thread = await PgliteThread.start(opts.dataDir, isolation);
  return new PgliteWorkerStore(thread, () => thread.close());
}

/**
 * A store on a worker the caller keeps owning: `close()` closes the store, not the worker. Tests
 * use it to run many stores against one migrated database, as with `openPgliteStoreOn`.
 */
export function openPgliteWorkerStoreOn(thread: PgliteThread): Store {
  return new PgliteWorkerStore(thread, async () => {});
}
