/**
 * The same storage workload on every store adapter, side by side, with memory as the baseline:
 *
 *   node --import tsx bench/storage-compare.ts
 *
 * Per adapter: 200 sessions created, 20 single-message appends to each (interleaved, each with
 * its version check), each read back with its history, ten 1,000-message sessions saved in one
 * append and restored in one read, and 10,000 events appended in batches of 500 then read back
 * in pages of 500. PostgreSQL and Redis are the machine's (TEST_DATABASE_URL / TEST_REDIS_URL
 * override); an adapter whose server is down is skipped with a note. Everything it creates (a
 * throwaway database, a Redis key prefix, temp folders) is removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NewMessageRecord, Store } from '@agent-hub/core';
import type { HubEvent } from '@agent-hub/protocol';
import {
  createTestDatabase,
  createTestRedis,
  deleteKeysWithPrefix,
  MemoryStore,
  openFileStore,
  openPgliteStore,
  openPostgresStore,
  openRedisStore,
} from '@agent-hub/store';
import { fmtMs, fmtRate, printTable, summarize, throughput } from './stats.ts';

const SESSIONS = 200;
const APPENDS_PER_SESSION = 20;
const LONG_SESSIONS = 10;
const LONG_HISTORY = 1000;
const EVENTS = 10_000;
const EVENT_BATCH = 500;

/** One timed operation of the workload: a latency sample per call, throughput in `unit`. */
interface Phase {
  name: string;
  unit: string;
  samples: number[];
  items: number;
  elapsedMs: number;
}

/** An adapter ready to run: its store, and how to remove everything it made. */
interface Opened {
  store: Store;
  openMs: number;
  dispose(): Promise<void>;
}

const ADAPTERS: { name: string; open(): Promise<Opened> }[] = [
  { name: 'memory', open: () => timedOpen(async () => ({ store: new MemoryStore(), dispose: async () => {} })) },
  {
    name: 'file',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'agenthub-bench-file-'));
      const dispose = () => rmDir(dir);
      return timedOpen(async () => ({ store: await openFileStore({ dataDir: dir }), dispose }), dispose);
    },
  },
  {
    name: 'pglite',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'agenthub-bench-pglite-'));
      const dispose = () => rmDir(dir);
      return timedOpen(async () => ({ store: await openPgliteStore({ dataDir: dir }), dispose }), dispose);
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const db = await createTestDatabase();
      return timedOpen(async () => ({ store: await openPostgresStore({ url: db.url }), dispose: () => db.drop() }), db.drop);
    },
  },
  {
    name: 'redis',
    open: async () => {
      const server = await createTestRedis();
      const store = () => openRedisStore({ url: server.url, keyPrefix: server.keyPrefix });
      const dispose = async () => {
        await deleteKeysWithPrefix(server.url, server.keyPrefix);
      };
      return timedOpen(async () => ({ store: await store(), dispose }), dispose);
    },
  },
];

async function main(): Promise<void> {
  const results = new Map<string, { phases: Phase[]; openMs: number }>();
  const notes: string[] = [];
  // One untimed pass first, so the baseline (which runs first) is not the one paying for JIT warm-up.
  await workload(new MemoryStore());
  for (const adapter of ADAPTERS) {
    let opened: Opened;
    try {
      opened = await adapter.open();
    } catch (err) {
      notes.push(`${adapter.name}: SKIPPED, could not open (${(err as Error).message})`);
      continue;
    }
    const started = performance.now();
    try {
      results.set(adapter.name, { phases: await workload(opened.store), openMs: opened.openMs });
    } finally {
      await opened.store.close();
      await opened.dispose();
    }
    console.error(`${adapter.name}: done in ${fmtMs(performance.now() - started)}`);
  }
  report(results, notes);
}

async function workload(store: Store): Promise<Phase[]> {
  const at = Date.now();
  const versions = new Map<string, number>();

  const create = await phase('create session', 'sessions/s', SESSIONS, async (time) => {
    for (let i = 0; i < SESSIONS; i++) {
      const id = randomUUID();
      await time(() => store.sessions.createSession({ id, members: ['planner', 'coder'], metadata: { n: i }, at }, []));
      versions.set(id, 1);
    }
  });
  const ids = [...versions.keys()];

  const append = await phase('append 1 message', 'appends/s', SESSIONS * APPENDS_PER_SESSION, async (time) => {
    for (let turn = 0; turn < APPENDS_PER_SESSION; turn++) {
      for (const id of ids) {
        const v = versions.get(id)!;
        await time(() => store.sessions.appendMessages(id, v, [chat(turn)], at + turn + 1));
        versions.set(id, v + 1);
      }
    }
  });

  const read = await phase('read session + history', 'sessions/s', SESSIONS, async (time) => {
    for (const id of ids) {
      await time(async () => {
        await store.sessions.getSession(id);
        const history = await store.sessions.getMessages(id, 0, 100);
        if (history.length !== APPENDS_PER_SESSION) throw new Error(`read back ${history.length} messages`);
      });
    }
  });

  const longIds: string[] = [];
  const save = await phase('save 1,000-msg history', 'msgs/s', LONG_SESSIONS * LONG_HISTORY, async (time) => {
    const history = Array.from({ length: LONG_HISTORY }, (_, i) => chat(i));
    for (let i = 0; i < LONG_SESSIONS; i++) {
      const id = randomUUID();
      await store.sessions.createSession({ id, members: ['planner'], metadata: {}, at }, []);
      await time(() => store.sessions.appendMessages(id, 1, history, at + 1));
      longIds.push(id);
    }
  });
  const restore = await phase('restore 1,000-msg history', 'msgs/s', LONG_SESSIONS * LONG_HISTORY, async (time) => {
    for (const id of longIds) {
      await time(async () => {
        const history = await store.sessions.getMessages(id, 0, LONG_HISTORY);
        if (history.length !== LONG_HISTORY) throw new Error(`restored ${history.length} messages`);
      });
    }
  });

  const appendEvents = await phase(`append events (batch ${EVENT_BATCH})`, 'events/s', EVENTS, async (time) => {
    for (let start = 0; start < EVENTS; start += EVENT_BATCH) {
      const batch = Array.from({ length: EVENT_BATCH }, (_, i) => hubEvent(start + i + 1, at));
      await time(() => store.events.appendEvents(batch));
    }
  });
  const readEvents = await phase(`read events (page ${EVENT_BATCH})`, 'events/s', EVENTS, async (time) => {
    let after = 0;
    for (;;) {
      const page = await time(() => store.events.readEvents({ afterOffset: after, limit: EVENT_BATCH }));
      if (page.length === 0) break;
      after = page[page.length - 1]!.offset;
    }
    if (after !== EVENTS) throw new Error(`read back events up to offset ${after}`);
  });

  return [create, append, read, save, restore, appendEvents, readEvents];
}

type Timer = <T>(op: () => Promise<T>) => Promise<T>;

async function phase(name: string, unit: string, items: number, body: (time: Timer) => Promise<void>): Promise<Phase> {
  const samples: number[] = [];
  const time: Timer = async (op) => {
    const t0 = performance.now();
    const result = await op();
    samples.push(performance.now() - t0);
    return result;
  };
  const t0 = performance.now();
  await body(time);
  return { name, unit, samples, items, elapsedMs: performance.now() - t0 };
}

function report(results: Map<string, { phases: Phase[]; openMs: number }>, notes: string[]): void {
  const names = [...results.keys()];
  const baseline = results.get('memory')?.phases;
  const phaseNames = baseline?.map((p) => p.name) ?? [...results.values()][0]?.phases.map((p) => p.name) ?? [];
  const cell = (adapter: string, i: number) => results.get(adapter)!.phases[i]!;

  const latency = phaseNames.map((name, i) => [
    `${name} (n=${cell(names[0]!, i).samples.length})`,
    ...names.map((a) => {
      const s = summarize(cell(a, i).samples);
      return `${fmtMs(s.p50)} / ${fmtMs(s.p95)} / ${fmtMs(s.p99)}`;
    }),
  ]);
  printTable('Latency per call: p50 / p95 / p99', ['operation', ...names], latency);

  const rates = phaseNames.map((name, i) => [
    `${name} [${cell(names[0]!, i).unit}]`,
    ...names.map((a) => {
      const rate = throughput(cell(a, i).items, cell(a, i).elapsedMs);
      const base = baseline ? throughput(baseline[i]!.items, baseline[i]!.elapsedMs) : Number.NaN;
      return a === 'memory' ? fmtRate(rate) : `${fmtRate(rate)} (${ratio(rate / base)})`;
    }),
  ]);
  rates.push(['open store (once)', ...names.map((a) => fmtMs(results.get(a)!.openMs))]);
  printTable('Throughput, and its ratio to memory (the baseline column)', ['operation', ...names], rates, [
    'file: every write is temp file + fsync + rename + folder fsync; events are fsynced appends to hourly JSONL',
    'pglite: on-disk data folder in a temp dir; postgres and redis: local servers over TCP',
    'redis on this machine keeps nothing on disk (no RDB, no AOF): its numbers are for memory-only durability',
    ...notes,
  ]);
}

/** Two significant digits, so that 0.004x does not print as 0.00x. */
function ratio(r: number): string {
  return Number.isFinite(r) ? `${Number(r.toPrecision(2))}x` : '–';
}

function chat(turn: number): NewMessageRecord {
  return {
    role: 'agent',
    author: turn % 2 === 0 ? 'planner' : 'coder',
    content: `Turn ${turn}: the plan has three steps; the second needs the schema migration before the API change lands.`,
    metadata: { turn, tokens: 24 },
  };
}

function hubEvent(offset: number, at: number): HubEvent {
  return {
    id: `ev-${offset}`,
    offset,
    topic: `jobs:${offset % 16}:progress`,
    priority: offset % 10 === 0 ? 'high' : 'normal',
    ts: new Date(at + offset).toISOString(),
    publisher: 'bench',
    payload: { step: offset, of: EVENTS, note: 'halfway through the batch' },
  };
}

/** Opens, timing it; on a failed open, still removes what was made for it. */
async function timedOpen(open: () => Promise<Omit<Opened, 'openMs'>>, onFailure: () => Promise<void> = async () => {}): Promise<Opened> {
  const t0 = performance.now();
  try {
    const opened = await open();
    return { ...opened, openMs: performance.now() - t0 };
  } catch (err) {
    await onFailure();
    throw err;
  }
}

function rmDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
