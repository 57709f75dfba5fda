import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '@agent-hub/protocol';
import type { Store } from '@agent-hub/core';
import { createPgliteClient, openPgliteStoreOn } from './pglite-store.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

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
const ts = new Date(0).toISOString();
let next = 0;
/** A batch of events as the hub appends them (~1 KB of payload each). */
const batch = (n: number): HubEvent[] =>
  Array.from({ length: n }, () => {
    next++;
    return { id: `w${next}`, offset: next, topic: 'wal:test', priority: 'normal', ts, publisher: 'p', payload: { body: 'x'.repeat(1000) } };
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PGlite WAL checkpoints (PostgreSQL in PGlite has no checkpointer of its own)', () => {
  let tmp: string;
  let client: PGlite | undefined;
  let store: Store | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'agenthub-wal-'));
  });

  afterEach(async () => {
    await store?.close();
    await client?.close();
    store = client = undefined;
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('checkpoints an open store once its WAL passes the threshold, so the WAL behind stays bounded', { timeout: 60_000 }, async () => {
    client = await createPgliteClient(join(tmp, 'size'));
    store = await openPgliteStoreOn(client, { maxWalBytes: 2 * MB, checkEveryMs: 25, intervalMs: 3_600_000 });
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
    store = await openPgliteStoreOn(client, { maxWalBytes: 1024 * MB, checkEveryMs: 3_600_000 });
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
    store = await openPgliteStoreOn(client, { maxWalBytes: 4 * MB, checkEveryMs: 25, intervalMs: 3_600_000 });
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
