/**
 * Session save and restore latency: through a hub process (the SDK over the agent socket) and
 * directly on the store adapter, on PGlite and on PostgreSQL, for small and 1,000-message sessions.
 *
 *   node --import tsx bench/sessions.ts [--stores=pglite,postgres] [--quick]
 *
 * One operation at a time (latency, not throughput). The hub keeps hot sessions' histories in an
 * LRU (SESSION_CACHE_SIZE); a second hub with the cache off shows restores that read the store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Store } from '@agent-hub/core';
import type { NewMessage } from '@agent-hub/protocol';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { createTestDatabase, openStore, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { guardChild } from './child-guard.ts';
import { CpuMeter } from './cpu-meter.ts';
import { Flags } from './flags.ts';
import { fmtMs, printTable, summarize, type Summary } from './stats.ts';

type StoreKind = 'pglite' | 'postgres';

/** What a benchmark needs of a session backend; implemented over the SDK and over a Store. */
interface SessionOps {
  create(messages: number): Promise<string>;
  append(id: string): Promise<void>;
  restore(id: string): Promise<number>;
  close(): Promise<void>;
}

interface Counts {
  small: number;
  large: number;
  largeSessions: number;
  warmup: number;
}

const SMALL_HISTORY = 10;
const LARGE_HISTORY = 1000;
// ~200 bytes of text per message: a typical short chat turn.
const CONTENT = 'The quick brown fox jumps over the lazy dog; '.repeat(5).slice(0, 200);
const message = (i: number): NewMessage => ({ role: 'agent', content: `${i}: ${CONTENT}`, metadata: { i } });

function sdkOps(client: AgentClient): SessionOps {
  return {
    async create(n) {
      const s = await client.sessions.create({ metadata: { bench: true }, messages: Array.from({ length: n }, (_, i) => message(i)) });
      return s.id;
    },
    async append(id) {
      await client.sessions.append(id, { messages: [message(-1)] });
    },
    async restore(id) {
      return (await client.sessions.get(id, true)).messages.length;
    },
    close: () => client.close(),
  };
}

/** The same operations on the adapter, the way SessionService calls it (restore = row + history). */
function storeOps(store: Store): SessionOps {
  const record = (i: number) => ({ role: 'agent' as const, author: 'bench', content: `${i}: ${CONTENT}`, metadata: { i } });
  return {
    async create(n) {
      const id = randomUUID();
      await store.sessions.createSession(
        { id, members: ['bench'], metadata: { bench: true }, at: Date.now() },
        Array.from({ length: n }, (_, i) => record(i)),
      );
      return id;
    },
    async append(id) {
      await store.sessions.appendMessages(id, undefined, [record(-1)], Date.now());
    },
    async restore(id) {
      const s = await store.sessions.getSession(id);
      return (await store.sessions.getMessages(id, 0, s!.messageCount)).length;
    },
    close: () => store.close(),
  };
}

async function sample(n: number, warmup: number, op: (i: number) => Promise<unknown>): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await op(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** Rows keyed by operation, plus how busy the rest of the machine was meanwhile (cores). */
type Results = Map<string, Summary> & { background?: number };

/** Creates the sessions it needs, then times each operation; keys are the table's row names. */
async function suite(ops: SessionOps, c: Counts, restoresOnly = false, hubPid?: number): Promise<Results> {
  const meter = new CpuMeter({ runner: process.pid, ...(hubPid ? { hub: hubPid } : {}) });
  meter.start();
  const r = await operations(ops, c, restoresOnly);
  r.background = meter.stop().others;
  return r;
}

async function operations(ops: SessionOps, c: Counts, restoresOnly: boolean): Promise<Results> {
  const r: Results = new Map();
  const small: string[] = [];
  const create = await sample(c.small, c.warmup, async () => small.push(await ops.create(SMALL_HISTORY)));
  if (!restoresOnly) r.set('create (10 messages)', create);
  const large: string[] = [];
  for (let i = 0; i < c.largeSessions; i++) large.push(await ops.create(LARGE_HISTORY));
  const pick = (ids: string[], i: number) => ids[i % ids.length]!;
  r.set('restore small (10 messages)', await sample(c.small, c.warmup, (i) => ops.restore(pick(small, i))));
  r.set('restore 1,000-message session', await sample(c.large, Math.min(c.warmup, 10), (i) => ops.restore(pick(large, i))));
  if (restoresOnly) return r;
  r.set('save: append 1 to small session', await sample(c.small, c.warmup, (i) => ops.append(pick(small, i))));
  r.set('save: append 1 to 1,000-message session', await sample(c.large, Math.min(c.warmup, 10), (i) => ops.append(pick(large, i))));
  return r;
}

async function startHub(kind: StoreKind, env: Record<string, string>): Promise<{ hub: HubProcess; db: TestDatabase | null }> {
  const db = kind === 'postgres' ? await createTestDatabase() : null;
  const hub = await HubProcess.start({
    ...benchHub(),
    env: { SESSION_LIMIT: '0', STORE: kind, ...(db ? { DATABASE_URL: db.url } : {}), ...env },
  });
  guardChild(hub.child);
  return { hub, db };
}

async function viaHub(kind: StoreKind, c: Counts, cacheOff: boolean): Promise<Results> {
  const { hub, db } = await startHub(kind, cacheOff ? { SESSION_CACHE_SIZE: '0' } : {});
  try {
    const client = await connectAgent({ url: hub.url, agentId: 'bench-sessions', token: hub.tokens.issue('bench-sessions') });
    const ops = sdkOps(client);
    try {
      return await suite(ops, c, cacheOff, hub.child!.pid);
    } finally {
      await ops.close();
    }
  } finally {
    await hub.stop();
    await db?.drop();
  }
}

async function direct(kind: StoreKind, c: Counts): Promise<Results> {
  const db = kind === 'postgres' ? await createTestDatabase() : null;
  const dir = kind === 'pglite' ? await mkdtemp(path.join(tmpdir(), 'bench-sessions-')) : null;
  const store = await openStore(kind === 'postgres' ? { kind, databaseUrl: db!.url } : { kind, dataDir: dir! });
  try {
    return await suite(storeOps(store), c);
  } finally {
    await store.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Targets on PostgreSQL through the hub: save p95 < 10 ms, restore p95 < 5 ms (cache on and off). */
function targetNotes(hub: Results, cold: Results): string[] {
  const verdict = (p95: number, limit: number) => `${fmtMs(p95)} ${p95 < limit ? 'met' : 'MISSED'}`;
  const saves = ['create (10 messages)', 'save: append 1 to small session', 'save: append 1 to 1,000-message session'];
  const restores = ['restore small (10 messages)', 'restore 1,000-message session'];
  return [
    `target save p95 < 10 ms: ${saves.map((k) => `${k} ${verdict(hub.get(k)!.p95, 10)}`).join('; ')}`,
    `target restore p95 < 5 ms: ${restores.map((k) => `${k} ${verdict(hub.get(k)!.p95, 5)} (cache off ${verdict(cold.get(k)!.p95, 5)})`).join('; ')}`,
  ];
}

const load = (r: Results) => (r.background ?? Number.NaN).toFixed(2);

function print(kind: StoreKind, hub: Results, cold: Results, store: Results, c: Counts): void {
  const cell = (s: Summary | undefined) => (s ? `${fmtMs(s.p50)} / ${fmtMs(s.p95)} / ${fmtMs(s.p99)}` : '–');
  const rows = [...store.keys()].map((op) => {
    const h = hub.get(op);
    const s = store.get(op)!;
    return [op, cell(h), cell(cold.get(op)), cell(s), h ? fmtMs(h.p50 - s.p50) : '–'];
  });
  const notes = [
    `hub = SDK over the agent socket to a hub process (history cache on, the default); cache off = SESSION_CACHE_SIZE=0; store = adapter called in-process.`,
    `samples: ${c.small} per small-session op, ${c.large} per 1,000-message op, one at a time; ~200-byte messages.`,
    `rest of the machine meanwhile (cores busy outside this bench and its hub; PostgreSQL counts here): hub ${load(hub)}, cache off ${load(cold)}, store direct ${load(store)}.`,
  ];
  if (kind === 'postgres') notes.push(...targetNotes(hub, cold));
  printTable(
    `Sessions on ${kind}: p50 / p95 / p99`,
    ['operation', 'hub', 'hub, cache off', 'store direct', 'hub overhead p50'],
    rows,
    notes,
  );
}

async function main(): Promise<void> {
  const f = new Flags();
  const quick = f.has('quick');
  const kinds = f.string('stores', 'pglite,postgres').split(',') as StoreKind[];
  const c: Counts = quick
    ? { small: 100, large: 30, largeSessions: 3, warmup: 10 }
    : { small: 400, large: 100, largeSessions: 5, warmup: 30 };
  for (const kind of kinds) {
    if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`--stores: unknown store "${kind}"`);
    const store = await direct(kind, c);
    const hub = await viaHub(kind, c, false);
    const cold = await viaHub(kind, c, true);
    print(kind, hub, cold, store, c);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
