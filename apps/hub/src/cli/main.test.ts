import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-cli-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function hubCli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/hub/src/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dataDir, STORE: 'file', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pnpm hub', () => {
  it('prints usage and exits 0 on --help', () => {
    const r = hubCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: pnpm hub/);
  });

  it('names a bad --patterns value in one line and exits 2', () => {
    const r = hubCli(['events:export', '--patterns', 'ok:*,bad pattern!']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agent-hub: --patterns: "bad pattern!" is not a topic pattern/);
  });

  it('refuses to export from an embedded store a running hub holds', async () => {
    // This test process stands in for the running hub.
    await writeFile(path.join(dataDir, 'hub.pid'), `${process.ppid}\n`);
    try {
      const r = hubCli(['events:export']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^agent-hub: a hub \(pid \d+\) is running on DATA_DIR=.*stop it first/);
      expect(await readdir(dataDir)).not.toContain('events');
    } finally {
      await rm(path.join(dataDir, 'hub.pid'), { force: true });
    }
  });

  it('exports once no hub holds the store (a stale pid file is ignored)', async () => {
    await writeFile(path.join(dataDir, 'hub.pid'), '999999\n');
    const r = hubCli(['events:export']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^exported 0 events/);
  });
});
