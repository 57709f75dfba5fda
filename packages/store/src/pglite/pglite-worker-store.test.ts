import { execFile } from 'node:child_process';
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

// As in pglite-store.test.ts: one in-memory database, here in one worker, emptied before each test.
let shared: PgliteThread;

beforeAll(async () => {
  shared = await PgliteThread.start(PGLITE_IN_MEMORY);
}, 60_000);

afterAll(async () => {
  await shared?.close();
});

describeStoreContract('pglite in a worker', async () => {
  await shared.resetTables();
  const store = openPgliteWorkerStoreOn(shared);
  return { store, cleanup: () => store.close() };
});

describe('pglite store in a worker thread', () => {
  it('rethrows a HubError from the worker as a HubError with its code and details', async () => {
    await shared.resetTables();
    const store = openPgliteWorkerStoreOn(shared);
    await store.kv.putValue('k', 1, 0);
    const err = await rejection(store.kv.putValue('k', 2, 0), 'VERSION_CONFLICT');
    expect(HubError.is(err, 'VERSION_CONFLICT')).toBe(true);
    expect(err.details).toMatchObject({ currentVersion: 1 });
  });

  it('answers offsetsOf with a Map', async () => {
    await shared.resetTables();
    const store = openPgliteWorkerStoreOn(shared);
    await store.events.appendEvents([event(1, 'a:b'), event(2, 'a:b')]);
    const offsets = await store.events.offsetsOf(['ev-2', 'ev-404']);
    expect(offsets).toBeInstanceOf(Map);
    expect(offsets).toEqual(new Map([['ev-2', 2]]));
  });

  it('rejects pending and later calls with STORE_UNAVAILABLE once the worker dies', { timeout: 60_000 }, async () => {
    const thread = await PgliteThread.start(PGLITE_IN_MEMORY);
    const store = openPgliteWorkerStoreOn(thread);
    await store.ping();
    const stopping = thread.terminate();
    const pending = store.events.maxOffset();
    await stopping;
    await rejection(pending, 'STORE_UNAVAILABLE');
    await rejection(store.kv.getValue('k'), 'STORE_UNAVAILABLE');
    await rejection(store.ping(), 'STORE_UNAVAILABLE');
    await thread.close();
  });

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

    it('creates a new database outside the hub’s process, so initdb’s memory is not kept', { timeout: 90_000 }, async () => {
      // initdb grows PGlite's WASM memory by hundreds of MB and the process never gives it back.
      // Measured in a process of its own (this one already holds the in-memory database's
      // initdb): ~320 MB here, ~430 MB when initdb ran in a worker thread of the same process.
      const script = [
        `import { openStore } from ${JSON.stringify(new URL('../open-store.ts', import.meta.url).href)};`,
        `const store = await openStore({ kind: 'pglite', dataDir: ${JSON.stringify(join(tmp, 'fresh'))} });`,
        `await store.kv.putValue('k', 1, 0);`,
        `console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 2 ** 20 }));`,
        `await store.close();`,
      ].join('\n');
      const file = join(tmp, 'open-fresh.mts');
      await writeFile(file, script);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { timeout: 80_000 });
      const { rssMb } = JSON.parse(stdout.trim().split('\n').pop()!) as { rssMb: number };
      expect(rssMb).toBeGreaterThan(0);
      expect(rssMb).toBeLessThan(380);
    });

    it('fails to open with the worker’s error when the data folder cannot be made', { timeout: 60_000 }, async () => {
      const notAFolder = join(tmp, 'file');
      await writeFile(notAFolder, '');
      await expect(openPgliteStoreInWorker({ dataDir: notAFolder })).rejects.toThrow(/ENOTDIR|EEXIST/);
    });
  });
});
