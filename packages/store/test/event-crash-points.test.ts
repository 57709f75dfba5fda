import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus, FakeClock, ReservedOffsets, silentLogger, uuidV7, type EventLog, type Store } from '@agent-hub/core';
import type { HubEvent, PublishResult } from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, openPgliteStore, openPostgresStore } from '../src/index.ts';

/**
 * A hub process dying at each point of an event's path — numbered, delivered, committed — modelled
 * deterministically: from the crash on, the dead bus delivers nothing, commits nothing and acks
 * nothing. A new bus then starts on the same store (the restarted process). The promises checked:
 * an offset once delivered is never given to another event, and a subscriber resuming after
 * min(highest processed, last watermark heard) gets every event acked durable, each once after
 * dedupe by id, while the publisher re-sends (same id, `retry`) what it was never told was durable.
 */
const CRASH_POINTS = ['after-allocate', 'after-deliver', 'after-commit'] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

const pg = await createTestDatabaseOrSkip('event crash points (PostgreSQL)');
afterAll(async () => pg?.drop());

const stores: Array<[string, () => Promise<{ store: Store; done: () => Promise<void> }>]> = [
  [
    'PGlite',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'agent-hub-crash-'));
      const store = await openPgliteStore({ dataDir: dir });
      return { store, done: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
    },
  ],
];
if (pg)
  stores.push([
    'PostgreSQL',
    async () => {
      const store = await openPostgresStore({ url: pg.url });
      return { store, done: () => store.close() };
    },
  ]);

/** One "process": a bus whose outputs all stop at the crash. */
function processOn(store: Store, seen: { live: HubEvent[] }) {
  let dead = false;
  const log: EventLog = new Proxy(store.events, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'appendEvents') return typeof v === 'function' ? v.bind(target) : v;
      return async (events: HubEvent[]) => {
        if (dead) return new Promise<never>(() => undefined);
        const r = await target.appendEvents(events);
        if (crashAfterCommitOf && events.some((e) => e.id === crashAfterCommitOf)) dead = true;
        return r;
      };
    },
  });
  let crashAfterCommitOf: string | null = null;
  const offsets = new ReservedOffsets(store.kv, silentLogger, 50);
  // Batches commit only when the test moves this clock: each crash point is hit exactly.
  const clock = new FakeClock();
  const bus = new EventBus({
    log,
    offsets,
    fanout: { deliver: (e) => void (!dead && seen.live.push(e)) },
    clock,
    newId: uuidV7,
    logger: silentLogger,
    batchMax: 1000,
    batchDelayMs: 5,
    policyFor: () => 'full',
  });
  return {
    bus,
    offsets,
    clock,
    get dead() {
      return dead;
    },
    kill: () => void (dead = true),
    killAfterCommitOf: (id: string) => void (crashAfterCommitOf = id),
  };
}

describe.each(stores)('crash points on %s', (_name, open) => {
  it.each(CRASH_POINTS)('a crash %s never reuses an offset and loses no durable event', async (point: CrashPoint) => {
    const { store, done } = await open();
    try {
      const before = { live: [] as HubEvent[] };
      const p1 = processOn(store, before);
      await p1.bus.start();
      // The publisher: what it was told, and what it must still send.
      const durable = new Set<string>();
      const unconfirmed: string[] = [];
      const ack = (id: string, r: Promise<PublishResult>, owner: { dead: boolean }) =>
        r.then((res) => !owner.dead && res.durable && durable.add(id));
      // The subscriber: ids it processed, the highest offset, and the last watermark it heard.
      const processed = new Map<string, number>();
      let highest = 0;
      let heard = 0;
      const take = (e: HubEvent) => {
        processed.set(e.id, (processed.get(e.id) ?? 0) + 1);
        highest = Math.max(highest, e.offset);
      };

      const ids = Array.from({ length: 120 }, (_, i) => `ev-${point}-${i}`);
      const acks: Array<Promise<unknown>> = [];
      const commit = async () => {
        p1.clock.advance(5);
        await Promise.all(acks);
      };
      for (const [i, id] of ids.entries()) {
        if (i === 80 && point === 'after-allocate') {
          p1.kill();
          await p1.offsets.next(); // numbered, then the process died
        }
        if (p1.dead) {
          unconfirmed.push(id);
          continue;
        }
        // `accept` returns once the event is delivered; `done` once its batch commits.
        const { done } = await p1.bus.accept('pub', { id, topic: 'orders:new', priority: 'normal', payload: { i } });
        acks.push(ack(id, done, p1));
        if (i === 80 && point === 'after-deliver') p1.kill(); // events 61..80 delivered, not committed
        if (i === 80 && point === 'after-commit') {
          p1.killAfterCommitOf(id); // committed, but the process dies before anyone is acked
          p1.clock.advance(5);
        }
        if (i % 20 === 0 && !p1.dead) {
          await commit();
          heard = p1.bus.watermark;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
      before.live.forEach(take);
      expect(before.live.length).toBeGreaterThan(point === 'after-allocate' ? 79 : 80);
      for (const id of ids) if (!durable.has(id) && !unconfirmed.includes(id)) unconfirmed.push(id);
      const livedOffsets = new Map(before.live.map((e) => [e.offset, e.id]));

      // The restarted process on the same store; the publisher re-sends what it was not told.
      const after = { live: [] as HubEvent[] };
      const p2 = processOn(store, after);
      await p2.bus.start();
      const publish2 = async (publisher: string, input: Parameters<EventBus['accept']>[1]) => {
        const { done } = await p2.bus.accept(publisher, input);
        p2.clock.advance(5);
        return done;
      };
      // Another publisher is quicker after the restart: its events take the next numbers.
      const others = Array.from({ length: 10 }, (_, i) => `other-${point}-${i}`);
      for (const id of others)
        expect((await publish2('other', { id, topic: 'orders:new', priority: 'normal', payload: {} })).durable).toBe(true);
      for (const id of unconfirmed) {
        const r = await publish2('pub', { id, topic: 'orders:new', priority: 'normal', payload: {}, retry: true });
        expect(r.durable).toBe(true);
        durable.add(id);
      }
      expect(durable.size).toBe(ids.length);
      // No number ever delivered went to another event.
      for (const e of after.live) {
        const before = livedOffsets.get(e.offset);
        expect(before === undefined || before === e.id, `offset ${e.offset} of ${before} reused for ${e.id}`).toBe(true);
      }
      // The subscriber resumes as documented and dedupes by id.
      const resume = Math.min(highest, heard);
      for (const e of await p2.bus.replayFor(['orders:#'], resume, 'full')) if (!processed.has(e.id)) take(e);
      for (const id of [...ids, ...others]) expect(processed.get(id), `event ${id}`).toBe(1);
      await p2.bus.close();
    } finally {
      await done();
    }
  });
});
