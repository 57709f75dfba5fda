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
import { isForwarded, toWireError, type StoreCall, type StoreReply, type WorkerStatus } from './worker-messages.ts';

export interface PgliteWorkerData {
  /** As for `openPgliteStore`: the hub's data folder, or PGLITE_IN_MEMORY. */
  dataDir: string;
}

/** The parent, as a worker thread's port or a child process's IPC channel. */
interface Parent {
  post(message: StoreReply | WorkerStatus): void;
  onCall(fn: (call: StoreCall) => void): void;
  close(): void;
}

function parent(): Parent {
  if (parentPort) {
    const port = parentPort;
    return { post: (m) => port.postMessage(m), onCall: (fn) => port.on('message', fn), close: () => port.close() };
  }
  if (!process.send) throw new Error('pglite-worker.ts runs in a worker thread or a forked child process; use openPgliteStoreInWorker');
  const send = process.send.bind(process);
  return {
    // Serialised as structured clone (`serialization: 'advanced'`); a value it refuses throws here.
    post: (m) => void send(m),
    onCall: (fn) => process.on('message', fn as (m: unknown) => void),
    close: () => process.disconnect(),
  };
}

const port = parent();
function startData(): PgliteWorkerData {
  if (workerData) return workerData as PgliteWorkerData;
  const arg = process.argv[2];
  if (!arg) throw new Error('pglite-worker.ts needs its settings as JSON (worker data or the first argument)');
  return JSON.parse(arg) as PgliteWorkerData;
}
const data = startData();

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
    port.post(message);
  } catch (err) {
    // A value structured clone refuses (a function in a payload, say): the caller gets an error, not silence.
    if (!('id' in message)) throw err;
    const text = err instanceof Error ? err.message : String(err);
    const error = { kind: 'error', name: 'DataCloneError', message: `the store's answer could not be sent: ${text}` } as const;
    port.post({ id: message.id, ok: false, error } satisfies StoreReply);
  }
}

let current: { client: PGlite; store: Store } | undefined;

async function closeAndExit(): Promise<never> {
  try {
    await current?.store.close();
    await current?.client.close();
  } finally {
    process.exit(0);
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
  current = opened;
  const { client, store } = opened;

  const invoke = (call: StoreCall): Promise<unknown> => {
    if (call.part !== 'store') {
      const part = store[call.part] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const method = part[call.method];
      if (!method) return Promise.reject(new Error(`the PGlite store has no ${call.part}.${call.method}`));
      return method.apply(part, call.args);
    }
    if (call.method === 'close') return store.close().then(() => client.close());
    if (call.method === 'resetTables') return client.exec(RESET_TABLES_SQL).then(() => undefined);
    return store.ping();
  };

  // No queue of our own: calls start in arrival order and PGlite runs them one at a time on its
  // single connection, so a long replay read and a commit wait for each other here as in-thread.
  port.onCall((call: StoreCall) => {
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

// A child process whose hub died (SIGKILL, crash) loses its channel: it closes the database and
// ends, so the data folder is free for the hub's next start.
if (!parentPort) process.once('disconnect', () => void closeAndExit());
// Ctrl+C signals the terminal's whole process group, and systemd's default stop signals the whole
// cgroup: the hub then drains and still writes to its store, which closes it last. So a signal
// here only starts a long grace period in case the hub never does.
const STORE_SIGNAL_GRACE_MS = 60_000;
if (!parentPort) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => setTimeout(() => void closeAndExit(), STORE_SIGNAL_GRACE_MS).unref());
  }
}

await serve(data.dataDir);
