import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { openStore } from '../open-store.ts';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { RESET_TABLES_SQL } from '../sql/reset-tables.ts';
import { openPostgresStore } from './postgres-store.ts';
import { createTestDatabase, createTestDatabaseOrSkip, type TestDatabase } from './test-database.ts';

const database = await createTestDatabaseOrSkip('postgres-store tests');
const describeWithPostgres = database ? describe : describe.skip;

describeWithPostgres('postgres store', () => {
  const db = database as TestDatabase;
  // A connection of the test's own, to empty the tables between tests and to play the operator.
  let admin: postgres.Sql;

  beforeAll(() => {
    admin = postgres(db.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await admin?.end({ timeout: 5 });
    await db.drop();
  });

  describeStoreContract('postgres', async () => {
    const store = await openPostgresStore({ url: db.url, max: 4 });
    await admin.unsafe(RESET_TABLES_SQL);
    return { store, cleanup: () => store.close() };
  });

  it('lets hub processes that start together migrate one fresh database', { timeout: 60_000 }, async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: fresh.url, max: 1 })));
      await Promise.all(stores.map((s) => s.ping()));
      await Promise.all(stores.map((s) => s.close()));
      const check = postgres(fresh.url, { max: 1 });
      const [row] = await check`select count(*)::int as n from drizzle.__drizzle_migrations`;
      await check.end();
      // Each migration once, not once per process.
      const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(row!.n).toBe(journal.entries.length);
    } finally {
      await fresh.drop();
    }
  });

  it('reports STORE_UNAVAILABLE when the server cannot be reached', async () => {
    const url = new URL(db.url);
    url.port = '1';
    await expect(openPostgresStore({ url: url.toString() })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { cause: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('reports STORE_UNAVAILABLE when the server ends its connection mid-query', { timeout: 30_000 }, async () => {
    const store = await openPostgresStore({ url: db.url, max: 1 });
    try {
      await store.kv.putValue('held', 1, 0);
      // Hold a lock so the store's next query waits on the server, then kill its backend.
      const waiting = await admin.begin(async (tx) => {
        await tx`lock table kv in access exclusive mode`;
        const read = store.kv.getValue('held').then(
          () => null,
          (err: unknown) => err,
        );
        const here = tx`datname = current_database() and pid <> pg_backend_pid()`;
        const blocked = () => tx`select 1 from pg_stat_activity where ${here} and wait_event_type = 'Lock'`;
        await waitFor(async () => (await blocked()).length > 0);
        await tx`select pg_terminate_backend(pid) from pg_stat_activity where ${here}`;
        return read;
      });
      expect(await waiting).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      // postgres.js reconnects by itself: the store answers again (its ping has a connection of its own).
      await waitFor(() =>
        store.ping().then(
          () => true,
          () => false,
        ),
      );
      await waitFor(() =>
        store.kv.getValue('held').then(
          (v) => v?.value === 1 && v.version === 1,
          () => false,
        ),
      );
    } finally {
      await store.close();
    }
  });

  it('answers a ping while every pooled connection is busy: a busy store is not a silent one', { timeout: 30_000 }, async () => {
    const store = await openPostgresStore({ url: db.url, max: 1 });
    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      // The pool's one connection waits on a lock the test holds.
      const held = locker.reserve();
      const conn = await held;
      await conn`begin`;
      await conn`lock table sessions in access exclusive mode`;
      const blocked = store.sessions.getSession('00000000-0000-4000-8000-000000000000');
      await waitFor(async () => (await admin`select count(*)::int as n from pg_locks where not granted`)[0]!.n > 0);
      // The hub asks "is the store there?" with a ping: it must not queue behind that read.
      const started = Date.now();
      await store.ping();
      expect(Date.now() - started).toBeLessThan(1000);
      await conn`rollback`;
      conn.release();
      expect(await blocked).toBeNull();
    } finally {
      await locker.end({ timeout: 5 });
      await store.close();
    }
  });

  it('keeps the process up when the connection drops while postgres.js fetches its array types', { timeout: 30_000 }, async () => {
    // postgres.js asks every new connection for the server's array types before the first query
    // (fetchArrayTypes), in a promise nobody awaits. When that connection dropped and the reconnect
    // was refused, the promise rejected unhandled and ended the hub (seen in CI: "connect ECONNRESET"
    // while a test cut PostgreSQL). A proxy cuts the connection at that query and refuses new ones.
    const proxy = await typesQueryCutter(new URL(db.url));
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const store = await openPostgresStore({ url: url.toString(), max: 1 });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      proxy.arm();
      await expect(store.kv.getValue('k')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(proxy.cutAtTypesQuery).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
      proxy.restore();
      await waitFor(() =>
        store.kv.getValue('k').then(
          (v) => v === null,
          () => false,
        ),
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
      proxy.close();
    }
  });

  it('opens through openStore, and refuses without a URL', async () => {
    const store = await openStore({ kind: 'postgres', databaseUrl: db.url });
    expect(store.kind).toBe('postgres');
    await store.ping();
    await store.close();
    await expect(openStore({ kind: 'postgres' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

/**
 * A proxy to PostgreSQL that, once armed, destroys the first connection that sends postgres.js's
 * array-type query and resets every connection after it, until restored.
 */
async function typesQueryCutter(target: URL) {
  let armed = false;
  let refusing = false;
  const state = { cutAtTypesQuery: false };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (refusing) return void client.resetAndDestroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes('pg_catalog.pg_type')) {
        state.cutAtTypesQuery = true;
        refusing = true;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get cutAtTypesQuery() {
      return state.cutAtTypesQuery;
    },
    arm: () => {
      armed = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      armed = false;
      refusing = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
