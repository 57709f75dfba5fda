import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '@agent-hub/protocol';
import type { Store } from '@agent-hub/core';
import { AutoVacuum, vacuumDue } from './auto-vacuum.ts';
import { createPgliteClient, openPgliteStoreOn } from './pglite-store.ts';
import { PgliteThread } from './pglite-thread.ts';
import { openPgliteWorkerStoreOn } from './pglite-worker-store.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { prepareWalSegment, walSegmentName, WalPreallocator } from './wal-preallocator.ts';

// PGlite's PostgreSQL is a single-user backend: no checkpointer and no autovacuum run beside it,
// so the store does their work (WalCheckpointer, AutoVacuum). These tests run on real folders.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last checkpoint's redo point, and the WAL written since it (bytes). */
async function walState(client: PGlite): Promise<{ redo: string; behind: number }> {
  const { rows } = await client.query<{ redo: string; behind: number }>(
    `select redo_lsn::text as redo, pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as behind from pg_control_checkpoint()`,
  );
  return { redo: rows[0]!.redo, behind: Number(rows[0]!.behind) };
}

/** WAL written since `from` (an LSN from `walState`/`walPosition`), in bytes. */
async function walSince(client: PGlite, from: string): Promise<number> {
  const { rows } = await client.query<{ d: number }>(`select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8 as d`, [from]);
  return Number(rows[0]!.d);
}

async function walPosition(client: PGlite): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`);
  return rows[0]!.lsn;
}

const MB = 1024 * 1024;
let next = 0;
/** A batch of events as the hub appends them (~1 KB of payload each), stamped `ts`. */
const batch = (n: number, ts = new Date(0).toISOString()): HubEvent[] =>
  Array.from({ length: n }, () => {
    next++;
    return {
      id: `e${next}`,
      offset: next,
      topic: `upkeep:${next % 7}`,
      priority: 'normal',
      ts,
      publisher: 'p',
      payload: { body: 'x'.repeat(1000) },
    };
  });

/** The events table's size on disk (heap and indexes) in bytes, and how often it was vacuumed. */
async function eventsTable(client: PGlite): Promise<{ bytes: number; vacuums: number }> {
  const { rows } = await client.query<{ bytes: number; vacuums: number }>(
    `select pg_total_relation_size('events')::float8 as bytes, vacuum_count::float8 as vacuums from pg_stat_user_tables where relname = 'events'`,
  );
  return { bytes: Number(rows[0]!.bytes), vacuums: Number(rows[0]!.vacuums) };
}

describe('vacuumDue: autovacuum’s default thresholds', () => {
  it('vacuums past 50 + 20 % dead or 1,000 + 20 % inserted rows, and not before', () => {
    expect(vacuumDue({ live: 1000, dead: 251, inserted: 0 })).toBe(true);
    expect(vacuumDue({ live: 1000, dead: 250, inserted: 0 })).toBe(false);
    expect(vacuumDue({ live: 1000, dead: 0, inserted: 1201 })).toBe(true);
    expect(vacuumDue({ live: 1000, dead: 250, inserted: 1200 })).toBe(false);
  });
});

describe('walSegmentName', () => {
  const MB16 = 16 * 1024 * 1024;
  it('counts segments within a log id and carries into the next, on the same timeline', () => {
    expect(walSegmentName('000000010000000000000001', 1, MB16)).toBe('000000010000000000000002');
    expect(walSegmentName('0000000100000000000000FE', 2, MB16)).toBe('000000010000000100000000');
    expect(walSegmentName('00000003000000020000000A', 3, MB16)).toBe('00000003000000020000000D');
    // 64 MB segments: 64 per log id.
    expect(walSegmentName('00000001000000000000003F', 1, 4 * MB16)).toBe('000000010000000100000000');
  });
});

describe('PGlite store upkeep', () => {
  let tmp: string;
  let client: PGlite | undefined;
  let store: Store | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'agenthub-upkeep-'));
  });

  afterEach(async () => {
    await store?.close();
    await client?.close();
    store = client = undefined;
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('WAL checkpoints', () => {
    it('checkpoints an open store once its WAL passes the threshold, so the WAL behind stays bounded', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'size'));
      store = await openPgliteStoreOn(client, { walCheckpoints: { maxWalBytes: 2 * MB, checkEveryMs: 25, intervalMs: 3_600_000 } });
      const first = await walState(client);
      const start = await walPosition(client);
      let most = 0;
      // ~20 MB of WAL: without checkpoints all of it would stay behind the start's redo point.
      while ((await walSince(client, start)) < 20 * MB) {
        await store.events.appendEvents(batch(200));
        most = Math.max(most, (await walState(client)).behind);
        await sleep(30); // room for the check between batches, as a hub's commits leave
      }
      expect((await walState(client)).redo).not.toBe(first.redo);
      // Checked every 25 ms against 2 MB: never far past it (one batch is ~0.5 MB of WAL).
      expect(most).toBeLessThan(6 * MB);
    });

    it('checkpoints after the interval when anything was written, and not when nothing was', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'time'));
      const checkpointer = new WalCheckpointer(client, { maxWalBytes: 1024 * MB, checkEveryMs: 3_600_000, intervalMs: 50 });
      store = await openPgliteStoreOn(client, { walCheckpoints: { maxWalBytes: 1024 * MB, checkEveryMs: 3_600_000 } });
      await store.events.appendEvents(batch(100));
      const written = await walState(client);
      expect(written.behind).toBeGreaterThan(64 * 1024);
      await sleep(60);
      await checkpointer.check();
      expect(checkpointer.taken).toBe(1);
      const after = await walState(client);
      expect(after.redo).not.toBe(written.redo);
      // Nothing written since: the checkpoint's own record does not make another one due.
      await sleep(60);
      await checkpointer.check();
      expect(checkpointer.taken).toBe(1);
      expect((await walState(client)).redo).toBe(after.redo);
      expect(checkpointer.lastError).toBeNull();
    });

    it('records a check against a closed database as an error, without throwing', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'close'));
      const checkpointer = new WalCheckpointer(client, { maxWalBytes: 0, checkEveryMs: 3_600_000, intervalMs: 0 });
      await client.close();
      await expect(checkpointer.check()).resolves.toBeUndefined();
      expect(checkpointer.lastError).toBeTruthy();
      expect(checkpointer.taken).toBe(0);
      client = undefined;
    });

    it('keeps pg_wal from growing with what was written', { timeout: 120_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'files'));
      store = await openPgliteStoreOn(client, { walCheckpoints: { maxWalBytes: 4 * MB, checkEveryMs: 25, intervalMs: 3_600_000 } });
      const walDir = join(tmp, 'files', 'pglite', 'pg_wal');
      const segments = async () => (await readdir(walDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
      const start = await walPosition(client);
      while ((await walSince(client, start)) < 160 * MB) {
        await store.events.appendEvents(batch(400));
        await sleep(30);
      }
      // 160 MB is ten 16 MB segments; recycled ones are reused, and PostgreSQL keeps about
      // min_wal_size (80 MB, five segments) plus the one in use.
      expect(await segments()).toBeLessThanOrEqual(8);
    });
  });

  describe('WAL segments made ahead', () => {
    const segmentsIn = async (walDir: string) => (await readdir(walDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();

    it('makes the next segments before PostgreSQL needs them, and PostgreSQL writes into those files', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'ahead'));
      const walDir = join(tmp, 'ahead', 'pglite', 'pg_wal');
      // A crash's leftover, to be cleared.
      await writeFile(join(walDir, 'xlogtemp.agenthub-000000010000000000000009'), 'half');
      const prealloc = new WalPreallocator(client, walDir, { ahead: 2, checkEveryMs: 3_600_000 });
      store = await openPgliteStoreOn(client, { walPrealloc: false });
      const first = await segmentsIn(walDir);
      expect(first).toHaveLength(1);
      await prealloc.check();
      expect(prealloc.lastError).toBeNull();
      expect(prealloc.made).toBe(2);
      const next = walSegmentName(first[0]!, 1, 16 * MB);
      expect(await segmentsIn(walDir)).toEqual([first[0], next, walSegmentName(first[0]!, 2, 16 * MB)]);
      expect((await readdir(walDir)).filter((f) => f.startsWith('xlogtemp.'))).toEqual([]);
      const made = await stat(join(walDir, next));
      expect(made.size).toBe(16 * MB);

      // Write into the next segment: PostgreSQL opens the file made for it (same inode) instead of making one.
      const start = await walPosition(client);
      while ((await walSince(client, start)) < 20 * MB) await store.events.appendEvents(batch(400));
      const used = await stat(join(walDir, next));
      expect(used.ino).toBe(made.ino);
      const bytes = await readFile(join(walDir, next));
      expect(bytes.subarray(0, 1024).some((b) => b !== 0)).toBe(true);
      // Already there: nothing made twice; the one after it is made on the next check.
      await prealloc.check();
      expect(prealloc.made).toBe(3);
      expect(await segmentsIn(walDir)).toContain(walSegmentName(next, 2, 16 * MB));

      // The database reopens from those files with every event.
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from events');
      await store.close();
      await client.close();
      client = await createPgliteClient(join(tmp, 'ahead'));
      store = await openPgliteStoreOn(client, { walPrealloc: false });
      const again = await client.query<{ n: number }>('select count(*)::int as n from events');
      expect(again.rows[0]!.n).toBe(rows[0]!.n);
      expect(rows[0]!.n).toBeGreaterThan(10_000);
    });

    it('keeps every acknowledged event when the store is killed after writing into segments made ahead', { timeout: 90_000 }, async () => {
      const dir = join(tmp, 'killed');
      const walDir = join(dir, 'pglite', 'pg_wal');
      // The hub's own set-up: the database in a child process, with the store's default upkeep.
      const thread = await PgliteThread.start(dir, 'process');
      const killed = openPgliteWorkerStoreOn(thread);
      try {
        const deadline = Date.now() + 15_000;
        while ((await segmentsIn(walDir)).length < 3) {
          if (Date.now() > deadline) throw new Error('no segment made ahead');
          await sleep(50);
        }
        const ahead = (await segmentsIn(walDir)).slice(1);
        const inodes = await Promise.all(ahead.map(async (f) => (await stat(join(walDir, f))).ino));
        const acked: string[] = [];
        // ~40 MB of WAL: through both segments made ahead (their successors are made meanwhile).
        for (let i = 0; i < 80; i++) {
          const events = batch(400);
          await killed.events.appendEvents(events);
          acked.push(...events.map((e) => e.id));
        }
        await thread.terminate(); // SIGKILL: no checkpoint, no clean close
        for (const [k, f] of ahead.entries()) {
          const bytes = await readFile(join(walDir, f));
          expect((await stat(join(walDir, f))).ino).toBe(inodes[k]);
          expect(bytes.subarray(0, 1024).some((b) => b !== 0)).toBe(true);
        }
        client = await createPgliteClient(dir);
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from events where id = any($1)`, [acked]);
        expect(rows[0]!.n).toBe(acked.length);
      } finally {
        await thread.close().catch(() => undefined);
      }
    });

    it('leaves a segment that is already there as it was', async () => {
      const walDir = await mkdtemp(join(tmp, 'race-'));
      const name = '000000010000000000000002';
      // PostgreSQL made it between the look and the link.
      await writeFile(join(walDir, name), 'postgres wrote this');
      expect(await prepareWalSegment(walDir, name, 64 * 1024)).toBe(false);
      expect(await readFile(join(walDir, name), 'utf8')).toBe('postgres wrote this');
      expect(await readdir(walDir)).toEqual([name]);
      expect(await prepareWalSegment(walDir, '000000010000000000000003', 64 * 1024)).toBe(true);
      expect((await stat(join(walDir, '000000010000000000000003'))).size).toBe(64 * 1024);
    });

    it('stops for good where the file system has no hard links, and waits a minute after other failures', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'nolinks'));
      const walDir = join(tmp, 'nolinks', 'pglite', 'pg_wal');
      const failing = (code: string) => {
        const calls = { n: 0 };
        const prepare = async () => {
          calls.n++;
          throw Object.assign(new Error(`link: ${code}`), { code });
        };
        return { calls, prepare };
      };
      const nolinks = failing('EPERM');
      const stopped = new WalPreallocator(client, walDir, { ahead: 2, checkEveryMs: 3_600_000 }, nolinks.prepare);
      await stopped.check();
      expect(stopped.disabled).toMatch(/EPERM/);
      expect((stopped.lastError as Error).message).toBe('link: EPERM');
      await stopped.check();
      expect(nolinks.calls.n).toBe(1);

      const full = failing('ENOSPC');
      const paused = new WalPreallocator(client, walDir, { ahead: 2, checkEveryMs: 3_600_000 }, full.prepare);
      await paused.check();
      await paused.check();
      expect(full.calls.n).toBe(1);
      expect(paused.disabled).toBeNull();
      expect(paused.made).toBe(0);
    });

    it('starts with the store on a folder, not in memory', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'started'));
      store = await openPgliteStoreOn(client, { walPrealloc: { checkEveryMs: 20 } });
      const walDir = join(tmp, 'started', 'pglite', 'pg_wal');
      const deadline = Date.now() + 10_000;
      while ((await segmentsIn(walDir)).length < 3) {
        if (Date.now() > deadline) throw new Error(`no segment made ahead: ${(await segmentsIn(walDir)).join(', ')}`);
        await sleep(20);
      }
    });
  });

  describe('VACUUM', () => {
    it('keeps an event log under retention from growing: deleted rows make room for new ones', { timeout: 120_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'retention'));
      store = await openPgliteStoreOn(client, { vacuum: { checkEveryMs: 50 } });
      const old = new Date(0).toISOString();
      const fill = async () => {
        for (let k = 0; k < 20; k++) await store!.events.appendEvents(batch(500, old));
      };
      await fill(); // 10,000 events
      const first = await eventsTable(client);
      for (let round = 0; round < 4; round++) {
        // Retention removes the old events, then as many new ones come.
        const vacuumsBefore = (await eventsTable(client)).vacuums;
        expect(await store.events.deleteEventsBefore(Date.now())).toBe(10_000);
        await fill();
        // Statistics reach PostgreSQL's views a moment after the statements (as commits go on in a hub).
        const deadline = Date.now() + 15_000;
        while ((await eventsTable(client)).vacuums === vacuumsBefore) {
          if (Date.now() > deadline) throw new Error(`no vacuum of the events table in round ${round}`);
          await sleep(100);
        }
      }
      const last = await eventsTable(client);
      // Without vacuums the table would be five fills' size (each round adds one on top).
      expect(last.bytes).toBeLessThan(first.bytes * 2.5);
      expect(last.vacuums).toBeGreaterThanOrEqual(4);
    });

    it('records a check against a closed database as an error, without throwing', { timeout: 60_000 }, async () => {
      client = await createPgliteClient(join(tmp, 'closed'));
      const vacuum = new AutoVacuum(client, { checkEveryMs: 3_600_000 });
      await client.close();
      client = undefined;
      await expect(vacuum.check()).resolves.toBeUndefined();
      expect(vacuum.lastError).toBeTruthy();
      expect(vacuum.vacuumed).toBe(0);
    });
  });
});
