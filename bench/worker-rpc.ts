import { fork, type ChildProcess } from 'node:child_process';
import { guardChild } from './child-guard.ts';

/**
 * Request/response over the IPC channel of a forked bench worker (load generators, idle-agent
 * fleets). The parent only waits on answers, so the worker — not the measuring process — carries
 * the load. 'advanced' serialization lets Float64Array samples cross without JSON.
 */
interface Request {
  rpc: number;
  cmd: string;
  args: unknown;
}
interface Reply {
  rpc: number;
  ok: boolean;
  data?: unknown;
  error?: string;
}

export class WorkerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: Reply) => {
      const w = this.waiting.get(m.rpc);
      if (!w) return;
      this.waiting.delete(m.rpc);
      if (m.ok) w.resolve(m.data);
      else w.reject(new Error(m.error));
    });
    child.stderr?.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.once('exit', (code, signal) => {
      const err = new Error(`bench worker exited (${code ?? signal}) with calls pending:\n${this.stderr}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  static start(modulePath: string): WorkerProcess {
    const child = fork(modulePath, [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    guardChild(child);
    return new WorkerProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const rpc = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rpc);
        reject(new Error(`bench worker: "${cmd}" unanswered after ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      this.waiting.set(rpc, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ rpc, cmd, args } satisfies Request);
    });
  }

  /** Closing the IPC channel is the worker's signal to clean up and exit; SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export type Handlers = Record<string, (args: any) => unknown>;

/** The worker side: answers each request with its handler's result; exits when the parent leaves. */
export function serveWorker(handlers: Handlers, onExit: () => Promise<void> | void = () => {}): void {
  process.on('message', async (m: Request) => {
    const reply = (r: Omit<Reply, 'rpc'>) => process.send?.({ rpc: m.rpc, ...r });
    const handler = handlers[m.cmd];
    if (!handler) return reply({ ok: false, error: `unknown command "${m.cmd}"` });
    try {
      reply({ ok: true, data: await handler(m.args) });
    } catch (err) {
      reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.once('disconnect', async () => {
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try {
      await onExit();
    } finally {
      process.exit(0);
    }
  });
}
