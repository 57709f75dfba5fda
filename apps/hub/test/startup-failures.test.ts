import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubProcess, freePort, runHubExpectingFailure, type FailedStart } from './support/hub-process.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';

const scratch = await mkdtemp(path.join(tmpdir(), 'agent-hub-startup-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** One line on stderr naming the setting, exit code 2, within 10 s. */
function expectOneLineFailure(r: FailedStart, setting: string, cause: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^agent-hub: ${setting}=`));
  expect(lines[0]).toMatch(cause);
  expect(r.code).toBe(2);
  expect(r.ms).toBeLessThan(10_000);
}

describe('start-up failures', () => {
  it('names DATABASE_URL when PostgreSQL is not listening', async () => {
    const port = await freePort();
    const r = await runHubExpectingFailure({
      DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/test`,
      PORT: String(await freePort()),
      DATA_DIR: scratch,
    });
    expectOneLineFailure(r, 'DATABASE_URL', /cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(r.stderr).not.toContain('secret');
  });

  it('names DATA_DIR when it is a file', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, 'x');
    const r = await runHubExpectingFailure({ DATA_DIR: file, PORT: String(await freePort()) });
    expectOneLineFailure(r, 'DATA_DIR', /is not a directory/);
  });

  it('names DATA_DIR under /proc instead of hanging', async () => {
    const r = await runHubExpectingFailure({ DATA_DIR: '/proc/x', PORT: String(await freePort()) });
    expectOneLineFailure(r, 'DATA_DIR', /cannot create \/proc\/x/);
  });

  it.skipIf(process.getuid?.() === 0)('names DATA_DIR when it cannot be written', async () => {
    const dir = path.join(scratch, 'read-only');
    await mkdir(dir);
    await chmod(dir, 0o500);
    const r = await runHubExpectingFailure({ DATA_DIR: dir, PORT: String(await freePort()) });
    expectOneLineFailure(r, 'DATA_DIR', /not writable/);
  });

  it('names PORT when another process holds it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = await runHubExpectingFailure({ PORT: String(port), DATA_DIR: scratch });
      expectOneLineFailure(r, 'PORT', /in use/);
    } finally {
      holder.close();
    }
  });

  it('names REDIS_URL when Redis is not listening', async () => {
    const port = await freePort();
    const r = await runHubExpectingFailure({ REDIS_URL: `redis://127.0.0.1:${port}`, PORT: String(await freePort()), DATA_DIR: scratch });
    expectOneLineFailure(r, 'REDIS_URL', /cannot reach 127\.0\.0\.1:\d+/);
  });

  it('prints the dashboard URL and the token file on every start, the token only on the first', async () => {
    const dataDir = path.join(scratch, 'dashboard-link');
    const hub = await HubProcess.start({ dataDir, env: { HUB_TOKEN: '', LOG_LEVEL: 'silent', STORE: 'memory' } });
    const tokenFile = path.join(dataDir, 'operator-token');
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(hub.output).toContain(`Agent Hub dashboard: ${hub.url}/?token=`);
      expect(hub.output).toContain(tokenFile);
      await hub.kill('SIGTERM');
      await hub.spawn();
      await new Promise((r) => setTimeout(r, 100));
      expect(hub.output).toContain(`Agent Hub dashboard: ${hub.url}\n`);
      expect(hub.output).toContain(tokenFile);
      expect(hub.output).not.toContain('token=');
    } finally {
      await hub.stop();
    }
  });
});

const redisUrl = await redisUrlOrSkip('shutdown with Redis away');

describe.skipIf(!redisUrl)('shutdown with Redis away', () => {
  it('exits 0 within the drain limit', async () => {
    const target = new URL(redisUrl!);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const hub = await HubProcess.start({ env: { STORE: 'memory', REDIS_URL: `redis://127.0.0.1:${port}`, SHUTDOWN_TIMEOUT_MS: '5000' } });
    try {
      await proxy.cut();
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const exit = await hub.kill('SIGTERM');
      expect(exit.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await hub.stop();
      await proxy.close();
    }
  });
});
