import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../ports/logger.ts';
import type { NewMessageRecord } from '../ports/store.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { OutageStore } from './testing/outage-store.ts';
import { WriteOutbox } from './write-outbox.ts';
import { flush, MemoryJournal } from './testing/memory-journal.ts';

const msg = (content: string, id?: string): NewMessageRecord => ({ id, role: 'agent', author: 'a', content, metadata: {} });

async function outboxOn(store: OutageStore, opts: { random?: () => number; probeIntervalMs?: number; log?: Logger } = {}) {
  const clock = new FakeClock();
  const log = opts.log ?? silentLogger;
  const outbox = new WriteOutbox(
    { store, journal: new MemoryJournal(), clock, log, ping: () => store.ping(), random: opts.random ?? (() => 0.5) },
    { flushIntervalMs: 3_600_000, alertAfterMs: 3_600_000, probeIntervalMs: opts.probeIntervalMs ?? 500, probeTimeoutMs: 400 },
  );
  await outbox.start();
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  return { clock, outbox, advance };
}

async function sessionWithHistory(store: OutageStore) {
  const id = '00000000-0000-4000-8000-000000000001';
  await store.createSession({ id, members: ['a'], metadata: {}, at: 0 }, []);
  return id;
}

/** One append queued, with the store refusing long enough that the scheduled retries are 30 s apart. */
async function queuedInLongOutage() {
  const store = new OutageStore();
  const id = await sessionWithHistory(store);
  const { outbox, advance } = await outboxOn(store);
  store.mode = 'refusing';
  await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('queued', 'q1')], at: 1 });
  await advance(40_000);
  return { store, id, outbox, advance };
}

describe('session write outbox', () => {
  it('starts draining within one probe interval of the store answering, not at the next scheduled retry', async () => {
    const { store, id, outbox, advance } = await queuedInLongOutage();
    expect(outbox.size).toBe(1);
    store.mode = 'up';
    await advance(750);
    expect(outbox.size).toBe(0);
    expect(outbox.failing).toBe(false);
    expect(await store.contents(id)).toEqual(['queued']);
    await outbox.close();
  });

  it('drains within seconds when the attempt in flight as the store returned fails after all', async () => {
    const { store, id, outbox, advance } = await queuedInLongOutage();
    // A scheduled retry goes out on a connection still trying to reach the store, and waits.
    store.mode = 'hanging';
    await advance(30_000);
    expect(store.heldCalls).toBeGreaterThan(0);
    // The store is back: pings answer while that retry still waits, then it fails (its connection
    // was made while the store was down). The next retry on the schedule is 15–45 s away.
    store.mode = 'up';
    await advance(5000);
    expect(outbox.size).toBe(1);
    store.mode = 'refusing';
    store.release();
    store.mode = 'up';
    await advance(3000);
    expect(outbox.size).toBe(0);
    expect(await store.contents(id)).toEqual(['queued']);
    await outbox.close();
  });

  it('stops pinging once drained', async () => {
    const store = new OutageStore();
    const id = await sessionWithHistory(store);
    const { outbox, advance } = await outboxOn(store);
    store.mode = 'refusing';
    await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('queued')], at: 1 });
    store.mode = 'up';
    await advance(2000);
    const pings = store.calls.get('ping') ?? 0;
    await advance(10_000);
    expect(store.calls.get('ping') ?? 0).toBe(pings);
    await outbox.close();
  });

  it('spreads its scheduled retries, so nodes that lost the store together do not retry in step', async () => {
    // No pings answered (probe interval far away): only the schedule retries.
    const when = async (random: () => number) => {
      const store = new OutageStore();
      const id = await sessionWithHistory(store);
      const { outbox, advance } = await outboxOn(store, { random, probeIntervalMs: 3_600_000 });
      store.mode = 'refusing';
      await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('queued')], at: 1 });
      store.mode = 'up';
      let waited = 0;
      while (outbox.size > 0 && waited < 5000) {
        await advance(50);
        waited += 50;
      }
      await outbox.close();
      return waited;
    };
    expect(await when(() => 0)).toBe(500);
    expect(await when(() => 0.99)).toBe(1500);
  });

  it('knows where a retried append still waits, and refuses a mix of its ids with new ones', async () => {
    const store = new OutageStore();
    const id = await sessionWithHistory(store);
    const { outbox } = await outboxOn(store);
    store.mode = 'refusing';
    await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('one', 'a'), msg('two', 'b')], at: 1 });
    await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('three', 'c')], at: 2 });
    expect(outbox.queuedAppend(id, ['c'])).toEqual({ position: 2 });
    expect(outbox.queuedAppend(id, ['a', 'b'])).toEqual({ position: 1 });
    expect(outbox.queuedAppend(id, ['d'])).toBeUndefined();
    expect(outbox.queuedAppend('another-session', ['a'])).toBeUndefined();
    expect(() => outbox.queuedAppend(id, ['a', 'd'])).toThrow(expect.objectContaining({ code: 'SESSION_MESSAGE_ID_CONFLICT' }));
    await outbox.close();
  });

  it('applies a queued create whose first attempt committed late as done, not as a rejected write', async () => {
    const store = new OutageStore();
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_obj, m) => void errors.push(m ?? ''), child: () => log };
    const { outbox, advance } = await outboxOn(store, { log });
    const id = '00000000-0000-4000-8000-000000000002';
    const applied: string[] = [];
    outbox.on('applied', (w) => applied.push(w.kind));
    store.mode = 'refusing';
    await outbox.accept({ kind: 'create', id, members: ['a'], metadata: {}, messages: [], at: 1 });
    await outbox.accept({ kind: 'append', sessionId: id, messages: [msg('after', 'x')], at: 2 });
    store.mode = 'up';
    // The first attempt lands after all (it was only slow).
    await store.createSession({ id, members: ['a'], metadata: {}, at: 1 }, []);
    await advance(1000);
    expect(applied).toEqual(['create', 'append']);
    expect(errors).toEqual([]);
    expect(await store.contents(id)).toEqual(['after']);
    await outbox.close();
  });
});
