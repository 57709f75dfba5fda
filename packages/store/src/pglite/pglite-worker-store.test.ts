import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HubError } from '@agent-hub/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, rejection } from '../contract/fixtures.ts';
import { describeStoreContract } from '../contract/store-contract.ts';
import { openStore } from '../open-store.ts';
import { PGLITE_IN_MEMORY } from './pglite-store.ts';
import { PgliteThread } from './pglite-thread.ts';
import { openPgliteStoreInWorker, openPgliteWorkerStoreOn } from './pglite-worker-store.ts';

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// As in pglite-store.test.ts: one in-memory database, here in one worker, emptied before each test.
let shared: PgliteThread;

beforeAll(async () => {
  shared = await PgliteThread.start(PGLITE_IN_MEMORY);
}, 60_000);

afterAll(async () => {
  await shared?.close();
});

describeStoreContract('pglite in a worker thread', async () => {
  await shared.resetTables();
  const store = openPgliteWorkerStoreOn(shared);
  return { store, cleanup: () => store.close() };
});

describe('pglite store off the event loop', () => {
  it('rethrows a HubError from the worker as a HubError with its code and details', async () => {
    await shared.resetTables();
    const store = openPgliteWorkerStoreOn(shared);
    await store.kv.putValue('k', 1, 0);
    const err = await rejection(store.kv.putValue('k', 2, 0), 'VERSION_CONFLICT');
    expect(HubError.is(err, 'VERSION_CONFLICT')).toBe(true);
    expect(err.details).toMatchObject({ currentVersion: 1 });
  });

  it('also runs in a child process, answers crossing by structured clone', { timeout: 60_000 }, async () => {
    const thread = await PgliteThread.start(PGLITE_IN_MEMORY, 'process');
    try {
      const store = openPgliteWorkerStoreOn(thread);
      await store.events.appendEvents([event(1, 'a:b')]);
      expect(await store.events.offsetsOf(['ev-1'])).toEqual(new Map([['ev-1', 1]]));
      await rejection(store.kv.putValue('k', 2, 5), 'VERSION_CONFLICT');
    } finally {
      await thread.close();
    }
  });

  it('answers offsetsOf with a Map', async () => {
    await shared.resetTables();
    const store = openPgliteWorkerStoreOn(shared);
    await store.events.appendEvents([event(1, 'a:b'), event(2, 'a:b')]);
    const offsets = await store.events.offsetsOf(['ev-2', 'ev-404']);
    expect(offsets).toBeInstanceOf(Map);
    expect(offsets).toEqual(new Map([['ev-2', 2]]));
  });

  it.each(['thread', 'process'] as const)(
    'rejects pending and later calls with STORE_UNAVAILABLE once the %s dies',
    { timeout: 60_000 },
    async (isolation) => {
      const thread = await PgliteThread.start(PGLITE_IN_MEMORY, isolation);
      const store = openPgliteWorkerStoreOn(thread);
      await store.ping();
      const stopping = thread.terminate();
      const pending = store.events.maxOffset();
      await stopping;
      await rejection(pending, 'STORE_UNAVAILABLE');
      await rejection(store.kv.getValue('k'), 'STORE_UNAVAILABLE');
      await rejection(store.ping(), 'STORE_UNAVAILABLE');
      await thread.close();
    },
  );

  describe('on disk', () => {
    let tmp: string;

    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'agenthub-pglite-worker-'));
    });

    afterAll(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    it('keeps data across close and reopen through openStore', { timeout: 60_000 }, async () => {
      const dataDir = join(tmp, 'data');
      const first = await openStore({ kind: 'pglite', dataDir });
      await first.kv.putValue('survives', { restart: true }, 0);
      await first.events.appendEvents([event(1, 'a:b')]);
      await first.close();
      await rejection(first.ping(), 'STORE_UNAVAILABLE');

      const second = await openStore({ kind: 'pglite', dataDir });
      try {
        expect(await second.kv.getValue('survives')).toEqual({ value: { restart: true }, version: 1 });
        expect(await second.events.readEvents({ limit: 10 })).toEqual([event(1, 'a:b')]);
      } finally {
        await second.close();
      }
    });

    it('keeps the database’s memory out of the hub’s process, and initdb’s out of both', { timeout: 90_000 }, async () => {
      // initdb grows PGlite's WASM memory by hundreds of MB and a process never gives it back; the
      // engine itself (WASM memory, compiled code, allocator arenas) is ~250 MB. The hub's process
      // holds neither: ~120 MB here, where the hub's old worker thread held ~320 MB of it.
      const script = [
        `import { execFileSync } from 'node:child_process';`,
        `import { openStore } from ${JSON.stringify(new URL('../open-store.ts', import.meta.url).href)};`,
        `const store = await openStore({ kind: 'pglite', dataDir: ${JSON.stringify(join(tmp, 'fresh'))}, pgliteIsolation: 'process' });`,
        `await store.kv.putValue('k', 1, 0);`,
        `const children = execFileSync('ps', ['-o', 'rss=,args=', '--ppid', String(process.pid)]).toString().split('\\n').filter((l) => l.includes('ts-worker-bootstrap'));`,
        `console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 2 ** 20, storeMb: children.map((l) => Number(l.trim().split(' ')[0]) / 1024) }));`,
        `await store.close();`,
      ].join('\n');
      const file = join(tmp, 'open-fresh.mts');
      await writeFile(file, script);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { timeout: 80_000 });
      const { rssMb, storeMb } = JSON.parse(stdout.trim().split('\n').pop()!) as { rssMb: number; storeMb: number[] };
      expect(rssMb).toBeGreaterThan(0);
      expect(rssMb).toBeLessThan(200);
      expect(storeMb).toHaveLength(1);
      expect(storeMb[0]).toBeGreaterThan(100); // PGlite is really in there
      expect(storeMb[0]).toBeLessThan(380); // and initdb's memory is not
    });

    it('outlives a Ctrl+C sent to the whole process group while the hub drains into it', { timeout: 90_000 }, async () => {
      const dataDir = join(tmp, 'ctrl-c');
      const script = [
        `import { openStore } from ${JSON.stringify(new URL('../open-store.ts', import.meta.url).href)};`,
        `const store = await openStore({ kind: 'pglite', dataDir: ${JSON.stringify(dataDir)}, pgliteIsolation: 'process' });`,
        `process.on('SIGINT', async () => {`,
        `  await new Promise((r) => setTimeout(r, 500));`,
        `  await store.kv.putValue('drained', true, 0);`,
        `  await store.close();`,
        `  console.log('drained');`,
        `  process.exit(0);`,
        `});`,
        `setInterval(() => {}, 1000);`,
        `console.log('open');`,
      ].join('\n');
      const file = join(tmp, 'hub-ctrl-c.mts');
      await writeFile(file, script);
      // A process group of its own, as a terminal gives a foreground job.
      const hub = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        hub.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('open') && resolve());
        hub.once('exit', (code) => reject(new Error(`hub exited ${code} before opening`)));
      });
      process.kill(-hub.pid!, 'SIGINT');
      const [code] = await once(hub, 'exit');
      expect(out).toContain('drained');
      expect(code).toBe(0);
      const again = await openStore({ kind: 'pglite', dataDir });
      try {
        expect(await again.kv.getValue('drained')).toEqual({ value: true, version: 1 });
      } finally {
        await again.close();
      }
    });

    it('ends the store process when its hub dies, so the next start can open the database', { timeout: 90_000 }, async () => {
      const dataDir = join(tmp, 'orphan');
      const script = [
        `import { openStore } from ${JSON.stringify(new URL('../open-store.ts', import.meta.url).href)};`,
        `const store = await openStore({ kind: 'pglite', dataDir: ${JSON.stringify(dataDir)}, pgliteIsolation: 'process' });`,
        `await store.kv.putValue('before', 1, 0);`,
        `console.log('open');`,
        `setInterval(() => {}, 1000);`,
      ].join('\n');
      const file = join(tmp, 'hub-that-dies.mts');
      await writeFile(file, script);
      const hub = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        hub.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        hub.once('exit', (code) => reject(new Error(`hub exited ${code} before opening`)));
      });
      const storePid = Number(
        execFileSync('pgrep', ['-P', String(hub.pid), '-f', 'ts-worker-bootstrap'])
          .toString()
          .trim()
          .split('\n')[0],
      );
      expect(storePid).toBeGreaterThan(0);
      hub.kill('SIGKILL');
      await once(hub, 'exit');
      const deadline = Date.now() + 20_000;
      while (alive(storePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(alive(storePid)).toBe(false);

      const again = await openStore({ kind: 'pglite', dataDir });
      try {
        expect(await again.kv.getValue('before')).toEqual({ value: 1, version: 1 });
      } finally {
        await again.close();
      }
    });

    it('fails to open with the worker’s error when the data folder cannot be made', { timeout: 60_000 }, async () => {
      const notAFolder = join(tmp, 'file');
      await writeFile(notAFolder, '');
      await expect(openPgliteStoreInWorker({ dataDir: notAFolder })).rejects.toThrow(/ENOTDIR|EEXIST/);
    });
  });
});
