import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HubError } from '@agent-hub/protocol';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { storeClosedError } from '../store-unavailable.ts';
import { hasPgliteDatabase, MEMORY_SETTINGS, PGLITE_IN_MEMORY, preparePgliteFolder } from './pglite-store.ts';
import type { PgliteWorkerData } from './pglite-worker.ts';
import { fromWireError, type StoreCall, type StorePart, type StoreReply, type WorkerStatus } from './worker-messages.ts';

// From source the worker runs TypeScript: the bootstrap registers tsx in it first. A hub built by
// scripts/build-hub.mjs defines AGENT_HUB_STORE_WORKER, its bundled worker (plain JavaScript, relative
// to this file), which starts directly: no tsx in the worker either.
declare const AGENT_HUB_STORE_WORKER: string | undefined;
const BUNDLED_WORKER = typeof AGENT_HUB_STORE_WORKER === 'string' ? new URL(AGENT_HUB_STORE_WORKER, import.meta.url) : undefined;
const BOOTSTRAP = new URL('./ts-worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./pglite-worker.ts', import.meta.url);
/** The file a worker thread or child process is started from. */
const WORKER_START = BUNDLED_WORKER ?? BOOTSTRAP;
const INITDB = new URL('./pglite-initdb.mjs', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const workerStopped = (cause: string) => new HubError('STORE_UNAVAILABLE', 'the store worker stopped', { cause });

/**
 * Where the database runs. `thread` (the default): a worker thread in the hub's process. `process`:
 * a child process of the hub, so PGlite's engine (WASM memory, compiled code, allocator arenas;
 * ~225 MB once busy) is not in the hub's RSS and a crash there is a store outage, not a hub crash;
 * it costs more per call (a replay of 10,000 events: 351 ms against 199 ms) and saves no memory in
 * all (hub + store 498 MB against 477 MB after the 10,000/s bench): docs/storage.md.
 */
export type PgliteIsolation = 'process' | 'thread';

/** The one thing PgliteThread needs from a worker thread or a child process. */
interface Channel {
  send(message: StoreCall): void;
  onMessage(fn: (message: StoreReply | WorkerStatus) => void): () => void;
  onError(fn: (err: Error) => void): () => void;
  onExit(fn: (cause: string) => void): () => void;
  ref(): void;
  unref(): void;
  /** Ends it at once (SIGKILL for a process), without closing the database. */
  kill(): Promise<void>;
}

/**
 * The main thread's handle on a worker thread or child process that owns one PGlite database
 * (`pglite-worker.ts`): each `call` is one message, answered by one reply. Once the worker is gone
 * (closed, crashed or killed) every pending and later call rejects with STORE_UNAVAILABLE.
 */
export class PgliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: (() => HubError) | undefined;
  private crash: string | undefined;

  private constructor(private readonly channel: Channel) {
    channel.onMessage((reply) => this.settle(reply as StoreReply));
    channel.onError((err) => {
      this.crash = err.message;
    });
    channel.onExit((exit) => {
      const cause = this.crash ?? exit;
      this.gone ??= () => workerStopped(cause);
      for (const p of this.pending.values()) p.reject(this.gone());
      this.pending.clear();
    });
    // Like the in-thread store, an idle store does not keep the process alive; a pending call does.
    channel.unref();
  }

  /** Starts a worker on `dataDir` (a data folder or PGLITE_IN_MEMORY); resolves once it is migrated. */
  static async start(dataDir: string, isolation: PgliteIsolation = 'thread'): Promise<PgliteThread> {
    // PGlite runs initdb in a second WASM instance and leaves its ~400 MB to the garbage collector,
    // which may keep it for a long while; a worker that ends returns it at once. So a new data
    // folder is created by a process of its own, and the store's worker opens it as on a restart.
    if (dataDir !== PGLITE_IN_MEMORY && !(await hasPgliteDatabase(dataDir))) await initdbInChildProcess(dataDir);
    return PgliteThread.spawn(dataDir, isolation);
  }

  private static async spawn(dataDir: string, isolation: PgliteIsolation): Promise<PgliteThread> {
    const workerData: PgliteWorkerData & { entry: string; tsxSearchFrom: string[] } = {
      dataDir,
      entry: ENTRY.href,
      tsxSearchFrom: tsxSearchPlaces(),
    };
    const channel = isolation === 'thread' ? threadChannel(new Worker(WORKER_START, { workerData })) : processChannel(workerData);
    try {
      await ready(channel);
    } catch (err) {
      await channel.kill();
      throw err;
    }
    return new PgliteThread(channel);
  }

  get running(): boolean {
    return this.gone === undefined;
  }

  call(part: StorePart, method: string, args: unknown[]): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.channel.send({ id, part, method, args } satisfies StoreCall);
      if (this.pending.size === 0) this.channel.ref();
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
      await this.channel.kill();
    }
  }

  /** Ends the worker at once without closing the database, as a crash would. */
  async terminate(): Promise<void> {
    await this.channel.kill();
  }

  private settle(reply: StoreReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.channel.unref();
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
  const child = spawn(process.execPath, [fileURLToPath(INITDB), folder, JSON.stringify(MEMORY_SETTINGS), MIGRATIONS_FOLDER], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0)
    throw new HubError('STORE_UNAVAILABLE', `creating the PGlite database in ${folder} failed (${code ?? signal})`, {
      cause: stderr.trim(),
    });
}

/** Resolves when the worker reports its database open; rejects with its error, or if it dies first. */
function ready(channel: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const detach = () => offs.forEach((off) => off());
    const offs = [
      channel.onMessage((status) => {
        detach();
        if ('ready' in status && status.ready) resolve();
        else reject(fromWireError((status as { error: Parameters<typeof fromWireError>[0] }).error));
      }),
      channel.onError((err) => {
        detach();
        reject(workerStopped(err.message));
      }),
      channel.onExit((cause) => {
        detach();
        reject(workerStopped(`${cause} before the store opened`));
      }),
    ];
  });
}

function threadChannel(worker: Worker): Channel {
  const on = <A extends unknown[]>(event: string, fn: (...args: A) => void) => {
    worker.on(event, fn as (...args: unknown[]) => void);
    return () => void worker.off(event, fn as (...args: unknown[]) => void);
  };
  return {
    send: (message) => worker.postMessage(message),
    onMessage: (fn) => on('message', fn),
    onError: (fn) => on('error', fn),
    onExit: (fn) => on('exit', (code: number) => fn(`exit code ${code}`)),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    kill: async () => void (await worker.terminate()),
  };
}

// glibc gives each thread that allocates its own malloc arena (64 MB each on 64-bit) and seldom
// returns freed memory; V8's compile threads leave tens of MB that way once PGlite's WASM is
// compiled. Two arenas and an earlier trim, with a 2 MB young generation (V8's default is 16 MB per
// semi-space: the store allocates in bursts of one batch), took the store process from ~300 to
// ~260 MB after 100,000 appends and 5 replays of 10,000 (docs/storage.md).
const STORE_PROCESS_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' };

function processChannel(workerData: PgliteWorkerData & { entry: string; tsxSearchFrom: string[] }): Channel {
  // `advanced` serialisation is V8's structured clone, as for a worker: Maps and Dates survive.
  // Not the hub's execArgv (--inspect, --import tsx, …): they are not meant for the store.
  const child: ChildProcess = fork(fileURLToPath(WORKER_START), [JSON.stringify(workerData)], {
    serialization: 'advanced',
    execArgv: ['--max-semi-space-size=2'],
    env: { ...process.env, ...STORE_PROCESS_ENV },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exit code ${code}`));
  const on = <A extends unknown[]>(event: string, fn: (...args: A) => void) => {
    child.on(event, fn as (...args: unknown[]) => void);
    return () => void child.off(event, fn as (...args: unknown[]) => void);
  };
  return {
    send: (message) => {
      // A call after the process died is answered by the exit handler's rejection, not a throw here.
      if (child.connected) child.send(message);
    },
    onMessage: (fn) => on('message', fn),
    onError: (fn) => on('error', fn),
    onExit: (fn) => on('exit', (code: number | null, signal: string | null) => fn(signal ? `killed by ${signal}` : `exit code ${code}`)),
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    kill: async () => {
      if (exited !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.ref(); // an unref'd child's exit would not keep the loop alive until it is seen
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Where the process was started from: the hub's folder has tsx even when this package does not. */
function tsxSearchPlaces(): string[] {
  const places = [pathToFileURL(`${process.cwd()}/`).href];
  if (process.argv[1]) places.unshift(pathToFileURL(process.argv[1]).href);
  return places;
}
