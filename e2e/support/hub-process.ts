import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './repo-root.ts';

// tsx compiles the hub on start; on a busy machine (other suites, browsers) that alone can take 20 s.
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
// Enough of the child's output to explain a failed start without flooding the report.
const OUTPUT_KEEP_CHARS = 20_000;

export interface HubProcess {
  url: string;
  operatorToken: string;
  agentSecret: string;
  dataDir: string;
  /** What the hub wrote to stderr so far (tail). */
  stderr(): string;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

export interface StartHubOptions {
  /** Extra environment for the hub, e.g. shorter heartbeat timeouts. */
  env?: Record<string, string>;
}

/** A real hub (`node --import tsx apps/hub/src/main.ts`) on a free port with its own data dir. */
export async function startHub(options: StartHubOptions = {}): Promise<HubProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-e2e-'));
  const operatorToken = randomBytes(24).toString('hex');
  const agentSecret = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}`;

  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/hub/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      HUB_TOKEN: operatorToken,
      AGENT_SECRET: agentSecret,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(url, child, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, operatorToken, agentSecret, dataDir, stderr: () => output.stderr, stop };
}

async function waitForHealth(url: string, child: ChildProcess, output: { stderr: string; stdout: string }): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode !== null ? `code ${child.exitCode}` : `signal ${child.signalCode}`;
      throw new Error(`hub exited (${how}) before /health answered\n--- stderr ---\n${output.stderr}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `hub did not answer GET /health with 200 within ${READY_TIMEOUT_MS} ms (last: ${last})\n` +
      `--- stderr ---\n${output.stderr}\n--- stdout ---\n${output.stdout}`,
  );
}

function captureOutput(child: ChildProcess): { stderr: string; stdout: string } {
  const out = { stderr: '', stdout: '' };
  child.stderr?.on('data', (chunk: Buffer) => {
    out.stderr = (out.stderr + chunk.toString()).slice(-OUTPUT_KEEP_CHARS);
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out.stdout = (out.stdout + chunk.toString()).slice(-OUTPUT_KEEP_CHARS);
  });
  return out;
}

/** Asks the OS for an unused port; the tiny race until the hub binds it is acceptable in tests. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the free port'));
      });
    });
  });
}
