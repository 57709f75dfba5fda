import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { openStore } from '../open-store.ts';
import { RESET_TABLES_SQL } from '../sql/reset-tables.ts';
import { syncCounts, syncToDisk } from './pglite-durable.mjs';
import { createPgliteClient, openPgliteStore, openPgliteStoreOn, PGLITE_IN_MEMORY } from './pglite-store.ts';

// Starting PGlite takes seconds, so the contract runs on one in-memory database per file,
// emptied before each test; the tests below open real stores the way the hub does.
let shared: PGlite;

beforeAll(async () => {
  shared = await createPgliteClient(PGLITE_IN_MEMORY);
}, 60_000);

afterAll(async () => {
  await shared?.close();
});

describeStoreContract('pglite', async () => {
  const store = await openPgliteStoreOn(shared);
  await shared.exec(RESET_TABLES_SQL);
  return { store, cleanup: () => store.close() };
});

/** The parts of PGlite's Emscripten file system the sync tests reach into. */
type TestNodeFs = { stream_ops: { fsync: (stream: { nfd?: number; node: unknown }) => number } };
type TestFs = { ErrnoError: new (errno: number) => Error; lookupPath: (path: string, opts: object) => { node: { mount: unknown } } };

describe('pglite store on disk', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'agenthub-pglite-'));
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('keeps data across close and reopen, in a data folder only its owner can read', { timeout: 60_000 }, async () => {
    const dataDir = join(tmp, 'data');
    const first = await openPgliteStore({ dataDir });
    await first.kv.putValue('survives', { restart: true }, 0);
    const ts = new Date(0).toISOString();
    const stored = { id: 'e1', offset: 1, topic: 'a:b', priority: 'high' as const, ts, publisher: 'p', payload: [1] };
    await first.events.appendEvents([stored]);
    await first.close();

    const second = await openPgliteStore({ dataDir });
    try {
      expect(await second.kv.getValue('survives')).toEqual({ value: { restart: true }, version: 1 });
      expect(await second.events.maxOffset()).toBe(1);
    } finally {
      await second.close();
    }
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'pglite'))).mode & 0o777).toBe(0o700);
  });

  it('puts each commit on disk before it returns: fsync on, synced through the host', { timeout: 60_000 }, async () => {
    const before = { ...syncCounts };
    const client = await createPgliteClient(join(tmp, 'durable'));
    try {
      expect((await client.query<{ fsync: string }>('show fsync')).rows[0]?.fsync).toBe('on');
      // The new database's folders, written by initdb with fsync off, were synced once made.
      expect(syncCounts.folders).toBeGreaterThan(before.folders);
      const store = await openPgliteStoreOn(client);
      const ts = new Date(0).toISOString();
      for (let i = 1; i <= 3; i++) {
        const synced = syncCounts.files;
        await store.events.appendEvents([{ id: `d${i}`, offset: i, topic: 'a:b', priority: 'normal', ts, publisher: 'p', payload: i }]);
        expect(syncCounts.files, `commit ${i}`).toBeGreaterThan(synced);
      }
      await store.close();
    } finally {
      await client.close();
    }
  });

  it('refuses a PGlite it cannot give an fsync, rather than run without one', () => {
    expect(() => syncToDisk({ Module: {} })).toThrow(/durability cannot be ensured/);
  });

  it('hands PostgreSQL a failed file sync as an errno, and lets a folder that cannot be synced pass', async () => {
    const client = await createPgliteClient(join(tmp, 'sync-errors'));
    try {
      const { NODEFS, FS } = (client as unknown as { Module: { NODEFS: TestNodeFs; FS: TestFs } }).Module;
      // A descriptor the host does not know: EBADF, as an Emscripten errno (not a host exception,
      // which would abort the WASM module).
      expect(() => NODEFS.stream_ops.fsync({ nfd: 1_000_000, node: null })).toThrow(FS.ErrnoError);
      // A folder the host cannot open (here: one that is gone) is let pass, and counted.
      const data = FS.lookupPath('/pglite/data', {}).node;
      const before = { ...syncCounts };
      expect(NODEFS.stream_ops.fsync({ node: data })).toBe(0);
      expect(NODEFS.stream_ops.fsync({ node: { name: 'no-such-folder', parent: data, mount: data.mount } })).toBe(0);
      expect(syncCounts.folders).toBe(before.folders + 1);
      expect(syncCounts.folderFailures).toBe(before.folderFailures + 1);
    } finally {
      await client.close();
    }
  });

  it('opens an in-memory store through openStore and closes it', { timeout: 60_000 }, async () => {
    const store = await openStore({ kind: 'pglite', dataDir: PGLITE_IN_MEMORY });
    expect(store.kind).toBe('pglite');
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('refuses to open without a data folder', async () => {
    await expect(openStore({ kind: 'pglite' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
