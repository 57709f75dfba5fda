import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePort } from '../apps/hub/test/support/hub-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

it('runs the demo end to end: conversation, injected failure, recovery, finished workflow', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-demo-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DEMO_EXIT: '1',
      DEMO_PORT: String(await freePort()),
      DEMO_DATA_DIR: dataDir,
      DEMO_THINK_MS: '150',
      DEMO_PACE: '0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
  expect(code, out.slice(-3000)).toBe(0);
  const summary = JSON.parse(/SUMMARY (.*)/.exec(out)![1]!);
  expect(summary.tasksDone).toBe(3);
  expect(summary.researcherRecoveries).toBeGreaterThanOrEqual(1);
  expect(summary.ended).toMatch(/stop word|max turns/);
  expect(out).toMatch(/\[researcher\] took my seat/);
  expect(out).toMatch(/\[researcher\] back again/);
  expect(out).toMatch(/entered degraded mode/);
  expect(out).toMatch(/left degraded mode/);
}, 150_000);

it('refuses a port another process holds, in one line', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], {
      cwd: root,
      env: { ...process.env, DEMO_EXIT: '1', DEMO_PORT: String(port) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^\\[demo\\] DEMO_PORT=${port}: .*in use`))]);
    expect(r.stdout).not.toMatch(/Dashboard/);
  } finally {
    holder.close();
  }
});
