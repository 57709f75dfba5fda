/**
 * The hub's JSON logs go to stdout, and whatever reads them (a pipe to a shipper, a container
 * runtime's log driver) can stall or go away. Neither may decide the hub's fate: it keeps serving,
 * and SIGTERM still ends it within SHUTDOWN_TIMEOUT_MS. (A stalled reader used to keep a stopping
 * hub alive for good: pino retried its last writes every 100 ms at exit, forever; a reader gone
 * before the dashboard banner was printed crashed the hub.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/hub-process.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

interface LoggingHub {
  child: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** A hub whose stdout is a pipe the test controls; every HTTP request is a debug log line. */
async function startHub(dataDir: string, env: Record<string, string> = {}): Promise<LoggingHub> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/hub/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      STORE: 'memory',
      HUB_TOKEN: 'x'.repeat(24),
      AGENT_SECRET: 'y'.repeat(24),
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr, exited };
}

async function waitReady(hub: LoggingHub): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (hub.child.exitCode !== null) throw new Error(`the hub exited: ${hub.stderr()}`);
    const ok = await fetch(`${hub.url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the hub was not ready within 30 s: ${hub.stderr()}`);
}

/** `n` requests, 20 at a time; the statuses. Each is one debug line (~200 bytes) on stdout. */
async function requests(hub: LoggingHub, n: number): Promise<number[]> {
  const statuses: number[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (left-- > 0) statuses.push((await fetch(`${hub.url}/livez`)).status);
    }),
  );
  return statuses;
}

describe('a log reader that stalls or goes away', () => {
  let hub: LoggingHub | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    hub?.child.kill('SIGKILL');
    hub = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'with stdout full and unread, the hub keeps serving and SIGTERM still ends it within SHUTDOWN_TIMEOUT_MS',
    { timeout: 90_000 },
    async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-logs-'));
      hub = await startHub(dataDir);
      // Never read: once the pipe's buffer (a few hundred KB) is full, every write finds it full.
      hub.child.stdout!.pause();
      await waitReady(hub);
      // ~600 KB of log lines, more than the pipe holds; the hub answers every request regardless.
      const statuses = await requests(hub, 3000);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const signalled = Date.now();
      hub.child.kill('SIGTERM');
      const exit = await Promise.race([hub.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
      expect(exit, 'the hub was still running 15 s after SIGTERM').not.toBeNull();
      // 2 s of SHUTDOWN_TIMEOUT_MS, and the last 100-ms retry of a write.
      expect(exit!.at - signalled).toBeLessThan(2000 + 1500);
      // Exited by itself, 1: its last lines could not be written.
      expect(exit).toMatchObject({ code: 1, signal: null });
    },
  );

  it('with stdout closed by its reader, the hub keeps serving and stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-logs-'));
    hub = await startHub(dataDir);
    // The reader goes away after the first line, before the dashboard banner and the rest.
    await new Promise<void>((resolve) => hub!.child.stdout!.once('data', () => resolve()));
    hub.child.stdout!.destroy();
    await waitReady(hub);
    const statuses = await requests(hub, 200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(hub.child.exitCode).toBeNull();
    hub.child.kill('SIGTERM');
    const exit = await hub.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});
