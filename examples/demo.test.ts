import { spawn } from 'node:child_process';
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
    env: { ...process.env, DEMO_EXIT: '1', DEMO_PORT: String(await freePort()), DEMO_DATA_DIR: dataDir, DEMO_THINK_MS: '150' },
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
}, 150_000);
