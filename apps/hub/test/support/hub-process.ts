import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentTokens } from '../../src/auth/agent-token.ts';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface HubProcessOptions {
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  token?: string;
  agentSecret?: string;
  /** How long a start may take before it counts as failed (ms, default 30,000). */
  readyTimeoutMs?: number;
  /** Extra node flags for the hub process, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
}

/**
 * A real hub child process (`node --import tsx apps/hub/src/main.ts`) that a test can SIGKILL,
 * SIGTERM, and start again on the same port and data directory.
 */
export class HubProcess {
  child: ChildProcess | null = null;
  url = '';
  output = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
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
  ) {
    this.tokens = new AgentTokens(agentSecret);
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(opts: HubProcessOptions = {}): Promise<HubProcess> {
    const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'agent-hub-proc-')));
    const hub = new HubProcess(
      opts.port ?? (await freePort()),
      dataDir,
      opts.token ?? randomBytes(18).toString('base64url'),
      opts.agentSecret ?? randomBytes(18).toString('base64url'),
      opts.env ?? {},
      !opts.dataDir,
      opts.readyTimeoutMs ?? 30_000,
      opts.nodeArgs ?? [],
    );
    await hub.spawn();
    return hub;
  }

  async spawn(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', 'apps/hub/src/main.ts'], {
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
    child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hub exited ${child.exitCode} during start:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`hub not ready within ${this.readyTimeoutMs / 1000} s:\n${this.output}`);
  }

  api(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(this.url + pathname, { ...init, headers });
  }

  /** Sends a signal and waits for the process to exit; returns how it exited. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return (await this.exited)!;
    this.child.kill(signal);
    return (await this.exited)!;
  }

  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
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
  const child = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', 'apps/hub/src/main.ts'], {
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
