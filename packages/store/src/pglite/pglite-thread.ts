import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HubError } from '@agent-hub/protocol';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { storeClosedError } from '../store-unavailable.ts';
import { hasPgliteDatabase, MEMORY_SETTINGS, PGLITE_IN_MEMORY, preparePgliteFolder } from './pglite-store.ts';
import type { PgliteWorkerData } from './pglite-worker.ts';
import { fromWireError, type StoreCall, type StorePart, type StoreReply, type WorkerStatus } from './worker-messages.ts';

// The worker runs TypeScript from source; the bootstrap registers tsx in it first.
const BOOTSTRAP = new URL('./ts-worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./pglite-worker.ts', import.meta.url);
const INITDB = new URL('./pglite-initdb.mjs', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const workerStopped = (cause: string) =>
  new HubError('STORE_UNAVAILABLE', 'the store worker stopped', { cause });

/**
 * The main thread's handle on a worker thread that owns one PGlite database (`pglite-worker.ts`):
 * each `call` is one message, answered by one reply. Once the worker is gone (closed, crashed or
 * terminated) every pending and later call rejects with STORE_UNAVAILABLE.
 */
export class PgliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: (() => HubError) | undefined;
  private crash: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: StoreReply) => this.settle(reply));
    worker.on('error', (err) => {
      this.crash = err.message;
    });
    worker.on('exit', (code) => {
      const cause = this.crash ?? `exit code ${code}`;
      this.gone ??= () => workerStopped(cause);
      for (const p of this.pending.values()) p.reject(this.gone());
      this.pending.clear();
    });
    // Like the in-thread store, an idle store does not keep the process alive; a pending call does.
    worker.unref();
  }

  /** Starts a worker on `dataDir` (a data folder or PGLITE_IN_MEMORY); resolves once it is migrated. */
  static async start(dataDir: string): Promise<PgliteThread> {
    // PGlite runs initdb in a second WASM instance and leaves its ~400 MB to the garbage collector,
    // which may keep it for a long while; a worker that ends returns it at once. So a new data
    // folder is created by a worker of its own, and the store's worker opens it as on a restart.
    if (dataDir !== PGLITE_IN_MEMORY && !(await hasPgliteDatabase(dataDir))) await initdbInChildProcess(dataDir);
    return PgliteThread.spawn(dataDir);
  }

  private static async spawn(dataDir: string): Promise<PgliteThread> {
    const workerData: PgliteWorkerData & { entry: string; tsxSearchFrom: string[] } = {
      dataDir,
      entry: ENTRY.href,
      tsxSearchFrom: tsxSearchPlaces(),
    };
    const worker = new Worker(BOOTSTRAP, { workerData });
    try {
      await ready(worker);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new PgliteThread(worker);
  }

  get running(): boolean {
    return this.gone === undefined;
  }

  call(part: StorePart, method: string, args: unknown[]): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.worker.postMessage({ id, part, method, args } satisfies StoreCall);
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  /** Empties every table (tests and benches reuse one worker). */
  async resetTables(): Promise<void> {
    await this.call('store', 'resetTables', []);
  }

  /** Closes the database in the worker, then ends the worker, even if closing failed. */
  async close(): Promise<void> {
    try {
      if (this.running) await this.call('store', 'close', []);
    } finally {
      this.gone ??= storeClosedError;
      await this.worker.terminate();
    }
  }

  /** Ends the worker at once without closing the database, as a crash would. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private settle(reply: StoreReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) p.resolve(reply.value);
    else p.reject(fromWireError(reply.error));
  }
}

/**
 * Creates and migrates a new database in a short-lived child process: initdb grows PGlite's WASM memory by
 * hundreds of MB, which a process never gives back (nor does a worker thread that ends); a fresh
 * hub held 885 MB RSS that way, 363 MB now. So the hub's own process only ever opens a database.
 */
async function initdbInChildProcess(dataDir: string): Promise<void> {
  const folder = await preparePgliteFolder(dataDir);
  const child = spawn(process.execPath, [fileURLToPath(INITDB), folder, JSON.stringify(MEMORY_SETTINGS), MIGRATIONS_FOLDER], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new HubError('STORE_UNAVAILABLE', `creating the PGlite database in ${folder} failed (${code ?? signal})`, { cause: stderr.trim() });
}

/** Resolves when the worker reports its database open; rejects with its error, or if it dies first. */
function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onStatus = (status: WorkerStatus) => {
      detach();
      if (status.ready) resolve();
      else reject(fromWireError(status.error));
    };
    const onError = (err: Error) => {
      detach();
      reject(workerStopped(err.message));
    };
    const onExit = (code: number) => {
      detach();
      reject(workerStopped(`exit code ${code} before the store opened`));
    };
    const detach = () => {
      worker.off('message', onStatus);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onStatus);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Where the process was started from: the hub's folder has tsx even when this package does not. */
function tsxSearchPlaces(): string[] {
  const places = [pathToFileURL(`${process.cwd()}/`).href];
  if (process.argv[1]) places.unshift(pathToFileURL(process.argv[1]).href);
  return places;
}
