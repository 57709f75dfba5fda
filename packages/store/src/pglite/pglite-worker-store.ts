import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store } from '@agent-hub/core';
import { storeClosedError } from '../store-unavailable.ts';
import type { PgliteStoreOptions } from './pglite-store.ts';
import { PgliteThread, type PgliteIsolation } from './pglite-thread.ts';
import { FORWARDED, type StorePart } from './worker-messages.ts';

type Forwarded = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * The store port on a PGlite database that lives in a worker thread: every method is one message
 * to the worker and resolves with its reply (structured clone keeps Maps and Dates), so the hub's
 * event loop never runs PGlite's synchronous work. HubErrors keep their code and details.
 */
export class PgliteWorkerStore implements Store {
  readonly kind = 'pglite';
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly thread: PgliteThread,
    private readonly release: () => Promise<void>,
  ) {
    this.sessions = this.forward('sessions') as unknown as SessionStore;
    this.events = this.forward('events') as unknown as EventLog;
    this.agents = this.forward('agents') as unknown as AgentStore;
    this.kv = this.forward('kv') as unknown as KeyValueStore;
    this.checkpoints = this.forward('checkpoints') as unknown as CheckpointStore;
  }

  async ping(): Promise<void> {
    await this.call('store', 'ping', []);
  }

  /** Idempotent: later calls wait for the first one. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.release();
    return this.closing;
  }

  private forward(part: Exclude<StorePart, 'store'>): Forwarded {
    const methods = Object.keys(FORWARDED[part]).map((method) => [method, (...args: unknown[]) => this.call(part, method, args)]);
    return Object.fromEntries(methods) as Forwarded;
  }

  private call(part: StorePart, method: string, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(storeClosedError());
    return this.thread.call(part, method, args);
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
