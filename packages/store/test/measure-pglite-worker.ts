/**
 * Prints (does not assert) what running PGlite in a worker thread costs and buys, in-thread vs
 * worker, each case in a fresh process and a fresh data folder:
 *   1. time of 10,000 appends of 1 event, 20 appends of 500, and one readEvents of 10,000;
 *   2. the main thread's event-loop delay while appending 100 batches of 500 events;
 *   3. RSS of a process holding the store: idle (open + a few writes) and after 10,000 events
 *      appended and read back, on a new data folder (first start runs initdb) and on a reopened one.
 *
 *   node --import tsx packages/store/test/measure-pglite-worker.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Store } from '@agent-hub/core';
import type { HubEvent } from '@agent-hub/protocol';
import { openPgliteStore } from '../src/pglite/pglite-store.ts';
import { openPgliteStoreInWorker } from '../src/pglite/pglite-worker-store.ts';

type Mode = 'in-thread' | 'worker';
const MODES: Mode[] = ['in-thread', 'worker'];
const SELF = fileURLToPath(import.meta.url);

const open = (mode: Mode, dataDir: string): Promise<Store> =>
  mode === 'worker' ? openPgliteStoreInWorker({ dataDir }) : openPgliteStore({ dataDir });

let nextOffset = 1;
function batch(size: number): HubEvent[] {
  return Array.from({ length: size }, () => {
    const offset = nextOffset++;
    return {
      id: `ev-${offset}`,
      offset,
      topic: 'bench:load',
      priority: 'normal',
      ts: new Date().toISOString(),
      publisher: 'bench',
      payload: { n: offset, text: 'x'.repeat(200) },
    };
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return Math.round(performance.now() - start);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

async function timing(store: Store) {
  const singles = await timed(async () => {
    for (let i = 0; i < 10_000; i++) await store.events.appendEvents(batch(1));
  });
  const batches = await timed(async () => {
    for (let i = 0; i < 20; i++) await store.events.appendEvents(batch(500));
  });
  let read = 0;
  const readMs = await timed(async () => {
    read = (await store.events.readEvents({ limit: 10_000 })).length;
  });
  return { '10000 x append 1 (ms)': singles, '20 x append 500 (ms)': batches, [`read ${read} (ms)`]: readMs };
}

/**
 * Back to back, the in-thread appends never yield (PGlite answers through microtasks only); in the
 * hub every commit starts from its own socket event, so the loop turns between them: `yielding`
 * measures that case, one event-loop turn between batches.
 */
async function loopDelay(store: Store, yielding: boolean) {
  const batches = Array.from({ length: 100 }, () => batch(500));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The histogram's first sample only starts its clock: let it be taken before the run.
  await sleep(20);
  const ms = await timed(async () => {
    for (const b of batches) {
      await store.events.appendEvents(b);
      if (yielding) await new Promise(setImmediate);
    }
  });
  // Blocked throughout, the sampling timer fires once, late by the whole run, only after it.
  await sleep(20);
  delay.disable();
  const round = (ns: number) => Math.round(ns / 1e4) / 100;
  const label = yielding ? 'yielding: ' : 'back to back: ';
  return {
    [`${label}append 100 x 500 (ms)`]: ms,
    [`${label}max delay (ms)`]: round(delay.max),
    [`${label}p99 delay (ms)`]: round(delay.percentile(99)),
    [`${label}mean delay (ms)`]: round(delay.mean),
  };
}

async function rss(store: Store) {
  await store.kv.putValue(`k-${nextOffset}`, { a: 1 }, 0);
  await store.events.appendEvents(batch(10));
  const idle = mib(process.memoryUsage().rss);
  for (let i = 0; i < 20; i++) await store.events.appendEvents(batch(500));
  await store.events.readEvents({ afterOffset: nextOffset - 10_001, limit: 10_000 });
  return { 'idle RSS (MiB)': idle, 'RSS after 10k append + read (MiB)': mib(process.memoryUsage().rss) };
}

const CASES = {
  timing,
  loopDelay: (store: Store) => loopDelay(store, false),
  loopDelayYielding: (store: Store) => loopDelay(store, true),
  rss,
} as const;
type Case = keyof typeof CASES;

/** In the child: one case, one mode, one data folder; prints one JSON line. */
async function child(what: Case, mode: Mode, dataDir: string): Promise<void> {
  const store = await open(mode, dataDir);
  nextOffset = (await store.events.maxOffset()) + 1;
  const result = await CASES[what](store);
  await store.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function inChild(what: Case, mode: Mode, dataDir: string): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SELF, what, mode, dataDir], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'agenthub-measure-'));
  try {
    const rows: Record<string, Record<string, number>> = {};
    for (const mode of MODES) {
      const fresh = (name: string) => join(tmp, `${mode}-${name}`);
      rows[mode] = {
        ...inChild('timing', mode, fresh('timing')),
        ...inChild('loopDelay', mode, fresh('loop')),
        ...inChild('loopDelayYielding', mode, fresh('loop-yielding')),
        ...prefixed('new folder: ', inChild('rss', mode, fresh('rss'))),
        ...prefixed('reopened: ', inChild('rss', mode, fresh('rss'))),
      };
    }
    // One row per figure, one column per mode.
    const figures = Object.keys(rows['in-thread']!);
    console.table(Object.fromEntries(figures.map((f) => [f, Object.fromEntries(MODES.map((m) => [m, rows[m]![f]]))])));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function prefixed(prefix: string, row: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [prefix + k, v]));
}

const [what, mode, dataDir] = process.argv.slice(2);
if (what) await child(what as Case, mode as Mode, dataDir!);
else await main();
