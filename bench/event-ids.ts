/**
 * What an event's id costs the store as the log grows: the default store (PGlite, in this
 * process, with its durable settings) appending group commits of `--batch` events through the
 * hub's own `appendEvents`, on a log that already holds N events, with ids made as the SDKs make
 * them (time-ordered, UUID v7) or random (UUID v4). The log's unique index on ids takes every
 * insert; random ids land on a random page of it, and once it outgrows the store's cache (16 MB
 * of shared buffers) each insert is also a page read. CPU is this process's (PGlite runs on its
 * thread), per event; commit times are wall-clock.
 *
 *   node --import tsx bench/event-ids.ts [--sizes=0,500000,2000000] [--batches=1500] [--batch=56] [--runs=1]
 *
 * Runs are interleaved (random, time-ordered, random, …) on a new database each.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeOrderedId, type HubEvent } from '@agent-hub/protocol';
import { createPgliteClient, openPgliteStoreOn } from '@agent-hub/store';
import { Flags } from './flags.ts';
import { prefillPglite, type IdKind } from './log-prefill.ts';
import { fmtCount } from './hub-metrics.ts';
import { median, printTable } from './stats.ts';

interface Outcome {
  cpuUsPerEvent: number;
  commitP50: number;
  commitP95: number;
}

const WARMUP_BATCHES = 200;

async function measure(logRows: number, ids: IdKind, batches: number, size: number): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-hub-event-ids-'));
  try {
    // Made, migrated and closed first in every case, so that each run reopens a database as a hub does.
    await prefillPglite(dir, logRows, ids);
    const client = await createPgliteClient(dir);
    const store = await openPgliteStoreOn(client, { walPrealloc: false });
    try {
      const newId = ids === 'sdk' ? () => timeOrderedId() : () => randomUUID();
      let offset = (await store.events.maxOffset()) + 1;
      const payload = { seq: 0, sentAt: 0, pad: 'x'.repeat(60) };
      const commits: number[] = [];
      const append = async (n: number, record: boolean) => {
        for (let b = 0; b < n; b++) {
          const ts = new Date().toISOString();
          const batch: HubEvent[] = Array.from({ length: size }, () => ({
            offset: offset++,
            id: newId(),
            topic: 'bench:ids',
            priority: 'normal',
            ts,
            publisher: 'bench-ids',
            payload,
          }));
          const started = performance.now();
          await store.events.appendEvents(batch);
          if (record) commits.push(performance.now() - started);
        }
      };
      await append(WARMUP_BATCHES, false);
      const cpu = process.cpuUsage();
      await append(batches, true);
      const used = process.cpuUsage(cpu);
      commits.sort((a, b) => a - b);
      return {
        cpuUsPerEvent: (used.user + used.system) / (batches * size),
        commitP50: commits[Math.floor(commits.length * 0.5)]!,
        commitP95: commits[Math.floor(commits.length * 0.95)]!,
      };
    } finally {
      await store.close();
      await client.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const f = new Flags();
  const sizes = f
    .string('sizes', '0,500000,2000000')
    .split(',')
    .map((s) => Number(s));
  const batches = f.number('batches', 1500);
  const size = Math.max(1, f.number('batch', 56));
  const runs = Math.max(1, f.number('runs', 1));
  const rows: string[][] = [];
  for (const logRows of sizes) {
    const got: Record<IdKind, Outcome[]> = { random: [], sdk: [] };
    for (let r = 0; r < runs; r++) {
      for (const ids of ['random', 'sdk'] as const) {
        const o = await measure(logRows, ids, batches, size);
        got[ids].push(o);
        console.log(
          `  log of ${fmtCount(logRows)}, ${ids === 'sdk' ? 'time-ordered' : 'random'} ids, run ${r + 1}: ${o.cpuUsPerEvent.toFixed(1)} µs of CPU per event, commit p50 ${o.commitP50.toFixed(2)} ms, p95 ${o.commitP95.toFixed(2)} ms`,
        );
      }
    }
    for (const ids of ['random', 'sdk'] as const) {
      const list = got[ids];
      rows.push([
        fmtCount(logRows),
        ids === 'sdk' ? 'time-ordered (UUID v7, the SDKs)' : 'random (UUID v4)',
        `${median(list.map((o) => o.cpuUsPerEvent)).toFixed(1)} µs`,
        `${median(list.map((o) => o.commitP50)).toFixed(2)} ms`,
        `${median(list.map((o) => o.commitP95)).toFixed(2)} ms`,
      ]);
    }
  }
  printTable(
    `Event ids and the log's size: PGlite in this process, commits of ${size} events through appendEvents, ${fmtCount(batches * size)} events measured per run${runs > 1 ? `, medians of ${runs}` : ''}`,
    ['events in the log', 'ids', 'CPU per event', 'commit p50', 'commit p95'],
    rows,
    [
      'CPU: this process (PGlite runs on its thread) over the measured commits, per event; the log is written before the run and the database reopened.',
    ],
  );
}

await main();
