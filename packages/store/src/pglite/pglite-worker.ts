/**
 * Runs in a worker thread (started by `PgliteThread`): opens the hub's PGlite database exactly as
 * the in-thread store does and answers one `StoreCall` per message. PGlite executes synchronously
 * on the thread that calls it, so here its commits and scans block this thread, not the hub's
 * event loop and its heartbeats.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import type { Store } from '@agent-hub/core';
import { RESET_TABLES_SQL } from '../sql/reset-tables.ts';
import { toStoreError } from '../store-unavailable.ts';
import { createPgliteClient, openPgliteStoreOn } from './pglite-store.ts';
import {
  isForwarded,
  toWireError,
  type StoreCall,
  type StoreReply,
  type WorkerStatus,
} from './worker-messages.ts';

export interface PgliteWorkerData {
  /** As for `openPgliteStore`: the hub's data folder, or PGLITE_IN_MEMORY. */
  dataDir: string;
}

if (!parentPort) throw new Error('pglite-worker.ts runs in a worker thread; use openPgliteStoreInWorker');
const port = parentPort;

async function open(dataDir: string): Promise<{ client: PGlite; store: Store }> {
  const client = await createPgliteClient(dataDir);
  try {
    return { client, store: await openPgliteStoreOn(client) };
  } catch (err) {
    await client.close();
    throw toStoreError(err);
  }
}

function post(message: StoreReply | WorkerStatus): void {
  try {
    port.postMessage(message);
  } catch (err) {
    // A value structured clone refuses (a function in a payload, say): the caller gets an error, not silence.
    if (!('id' in message)) throw err;
    const text = err instanceof Error ? err.message : String(err);
    const error = { kind: 'error', name: 'DataCloneError', message: `the store's answer could not be sent: ${text}` } as const;
    port.postMessage({ id: message.id, ok: false, error } satisfies StoreReply);
  }
}

async function serve(dataDir: string): Promise<void> {
  let opened: { client: PGlite; store: Store };
  try {
    opened = await open(dataDir);
  } catch (err) {
    post({ ready: false, error: toWireError(err) });
    port.close();
    return;
  }
  const { client, store } = opened;

  const invoke = (call: StoreCall): Promise<unknown> => {
    if (call.part !== 'store') {
      const part = store[call.part] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return part[call.method](...call.args);
    }
    if (call.method === 'close') return store.close().then(() => client.close());
    if (call.method === 'resetTables') return client.exec(RESET_TABLES_SQL).then(() => undefined);
    return store.ping();
  };

  // No queue of our own: calls start in arrival order and PGlite runs them one at a time on its
  // single connection, so a long replay read and a commit wait for each other here as in-thread.
  port.on('message', (call: StoreCall) => {
    const { id } = call;
    const answer = isForwarded(call.part, call.method)
      ? invoke(call)
      : Promise.reject(new Error(`the PGlite worker does not answer ${String(call.part)}.${String(call.method)}`));
    answer.then(
      (value) => post({ id, ok: true, value }),
      (err: unknown) => post({ id, ok: false, error: toWireError(err) }),
    );
  });
  post({ ready: true });
}

await serve((workerData as PgliteWorkerData).dataDir);
