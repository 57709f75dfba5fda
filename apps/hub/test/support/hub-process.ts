import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentTokens } from '../../src/auth/agent-token.ts';
import { HUB_LAUNCH_ENV, HUB_LAUNCH_NODE_ARGS } from '../../../../scripts/hub-launch.mjs';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Enough of the child's output to explain a failed start without flooding the report. */
const OUTPUT_KEEP_CHARS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface HubProcessOptions {
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  token?: string;
  agentSecret?: string;
  /** How long a start may take before it counts as failed (ms, default 30,000). */
  readyTimeoutMs?: number;
  /**
   * What reads the hub's stdout: this object (`read`, the default: `output` holds its tail), nobody
   * (`unread`: the pipe fills once the hub has logged enough), or nobody ever (`closed`: its read
   * end is closed at once, so every write fails with EPIPE). For tests of a log reader that stalls
   * or goes away.
   */
  stdout?: 'read' | 'unread' | 'closed';
  /** Extra node flags for the hub process, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Prefix of the temporary data directory made when `dataDir` is not given. */
  dataDirPrefix?: string;
  /**
   * A production build's entry (`apps/hub/dist/main.mjs`, from scripts/build-hub.mjs) to run
   * with plain `node`; by default the TypeScript sources run through tsx.
   */
  built?: string;
  /**
   * Run `built` with bare `node`, without the launch settings `pnpm start` and the Docker image
   * use (scripts/hub-launch.mjs); for before/after measurements.
   */
  bareLaunch?: boolean;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * A real hub child process (`node --import tsx apps/hub/src/main.ts`, or a production build's
 * `node apps/hub/dist/main.mjs` with `built`, launched as `pnpm start` does) on a free port with its own
 * data directory, that a test can SIGKILL, SIGTERM, and start again on the same port and data
 * directory. The one hub spawner of the repository: apps/hub tests, e2e/ (through
 * e2e/support/hub-process.ts), bench/, examples/ and conformance/ all start hubs with it.
 */
export class HubProcess {
  child: ChildProcess | null = null;
  url = '';
  /** stdout and stderr of the current run, interleaved (tail). */
  output = '';
  private stderrTail = '';
  private exited: Promise<Exit> | null = null;
  readonly tokens: AgentTokens;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly token: string,
    readonly agentSecret: string,
    readonly env: Record<string, string>,
    private readonly ownsDataDir: boolean,
    private readonly readyTimeoutMs: number,
    private readonly nodeArgs: string[],
    private readonly entry: string[],
    private readonly stdoutReader: 'read' | 'unread' | 'closed',
  ) {
    this.tokens = new AgentTokens(agentSecret);
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts a hub and waits for `GET /ready`; a hub that does not get there is stopped (and its own data dir removed). */
  static async start(opts: HubProcessOptions = {}): Promise<HubProcess> {
    const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), opts.dataDirPrefix ?? 'agent-hub-proc-')));
    const hub = new HubProcess(
      opts.port ?? (await freePort()),
      dataDir,
      opts.token ?? randomBytes(18).toString('base64url'),
      opts.agentSecret ?? randomBytes(18).toString('base64url'),
      { ...(opts.built && !opts.bareLaunch ? HUB_LAUNCH_ENV : {}), ...opts.env },
      !opts.dataDir,
      opts.readyTimeoutMs ?? 30_000,
      [...(opts.built && !opts.bareLaunch ? HUB_LAUNCH_NODE_ARGS : []), ...(opts.nodeArgs ?? [])],
      opts.built ? [opts.built] : ['--import', 'tsx', 'apps/hub/src/main.ts'],
      opts.stdout ?? 'read',
    );
    try {
      await hub.spawn();
    } catch (err) {
      await hub.stop().catch(() => undefined);
      throw err;
    }
    return hub;
  }

  /** The operator token (HUB_TOKEN); the name the e2e specs use. */
  get operatorToken(): string {
    return this.token;
  }

  /** What the hub wrote to stderr in the current run (tail). */
  stderr(): string {
    return this.stderrTail;
  }

  async spawn(): Promise<void> {
    this.output = '';
    this.stderrTail = '';
    const child = spawn(process.execPath, [...this.nodeArgs, ...this.entry], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATA_DIR: this.dataDir,
        HUB_TOKEN: this.token,
        AGENT_SECRET: this.agentSecret,
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (this.stdoutReader === 'read') child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-OUTPUT_KEEP_CHARS)));
    else if (this.stdoutReader === 'closed') child.stdout!.destroy();
    child.stderr!.on('data', (d) => {
      this.output = (this.output + d).slice(-OUTPUT_KEEP_CHARS);
      this.stderrTail = (this.stderrTail + d).slice(-OUTPUT_KEEP_CHARS);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const how = child.exitCode !== null ? `${child.exitCode}` : `on ${child.signalCode}`;
        throw new Error(`hub exited ${how} during start:\n${this.output}`);
      }
      try {
        const res = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = `${res.status} ${await res.text()}`;
      } catch (err) {
        last = (err as Error).message; // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`hub not ready within ${this.readyTimeoutMs / 1000} s (last: ${last}):\n${this.output}`);
  }

  api(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(this.url + pathname, { ...init, headers });
  }

  /** "running (pid N)" or how the current run ended, with the tail of its output: for a failure report. */
  status(tailChars = 6_000): string {
    const c = this.child;
    const state = !c
      ? 'not started'
      : c.exitCode !== null
        ? `exited ${c.exitCode}`
        : c.signalCode
          ? `killed by ${c.signalCode}`
          : `running (pid ${c.pid})`;
    return `hub ${this.url}: ${state}; last output:\n${this.output.slice(-tailChars)}`;
  }

  /** Sends a signal and waits for the process to exit; returns how it exited. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return (await this.exited)!;
    this.child.kill(signal);
    return (await this.exited)!;
  }

  /** SIGTERM (SIGKILL after 15 s), wait for the exit, remove the data directory if this hub made it. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.kill('SIGTERM');
    clearTimeout(timer);
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Asks the OS for an unused loopback port; the tiny race until the caller binds it is acceptable in tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the free port'));
      });
    });
  });
}

export interface FailedStart {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
}

/** Runs the hub with settings that should stop it at start, and reports how it ended (killed after `timeoutMs`). */
export function runHubExpectingFailure(env: Record<string, string>, timeoutMs = 15_000): Promise<FailedStart> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/hub/src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', HUB_TOKEN: 'x'.repeat(24), AGENT_SECRET: 'y'.repeat(24), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    }),
  );
}
