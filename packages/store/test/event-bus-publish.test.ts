import { describe, expect, it } from 'vitest';
import { EventBus, FakeClock, ReservedOffsets, silentLogger, uuidV7, type EventLog } from '@agent-hub/core';
import type { HubEvent } from '@agent-hub/protocol';
import { MemoryStore } from '../src/index.ts';

function busOn(store = new MemoryStore(), log: EventLog = store.events) {
  const clock = new FakeClock();
  const delivered: HubEvent[] = [];
  const bus = new EventBus({
    log,
    offsets: new ReservedOffsets(store.kv, silentLogger, 100),
    fanout: { deliver: (e) => void delivered.push(e) },
    clock,
    newId: uuidV7,
    logger: silentLogger,
    batchMax: 1000,
    batchDelayMs: 5,
    policyFor: () => 'full',
  });
  return { bus, clock, delivered, store };
}
const input = (id: string, extra: object = {}) => ({ id, topic: 'a:b', priority: 'normal' as const, payload: {}, ...extra });

describe('EventBus publish semantics', () => {
  it("answers a duplicate sent while the first copy is still committing with the first copy's durable result", async () => {
    const { bus, clock, delivered } = busOn();
    await bus.start();
    const first = bus.publish('p', input('same'));
    await Promise.resolve();
    const second = bus.publish('p', input('same'));
    clock.advance(5);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ durable: true, duplicate: false });
    expect(b).toMatchObject({ offset: a.offset, durable: true, duplicate: true });
    expect(delivered).toHaveLength(1);
  });

  it('answers a re-send of an id the log already has with its original offset, without delivering it again', async () => {
    const store = new MemoryStore();
    const one = busOn(store);
    await one.bus.start();
    const { done } = await one.bus.accept('p', input('kept'));
    one.clock.advance(5);
    const original = await done;
    // Another node (or a restarted one) that never saw this id.
    const other = busOn(store);
    await other.bus.start();
    const again = await other.bus.publish('p', input('kept', { retry: true }));
    expect(again).toEqual({ id: 'kept', offset: original.offset, durable: true, duplicate: true });
    expect(other.delivered).toHaveLength(0);
  });

  it("puts the log's recent ids in a starting hub's dedupe window, read a page at a time", async () => {
    const store = new MemoryStore();
    const at = new Date(new FakeClock().now()).toISOString();
    const logged: HubEvent[] = Array.from({ length: 25_000 }, (_, i) => ({
      offset: i + 1,
      id: `logged-${i + 1}`,
      topic: 'a:b',
      priority: 'normal',
      ts: at,
      publisher: 'p',
      payload: {},
    }));
    await store.events.appendEvents(logged);
    const limits: number[] = [];
    const log: EventLog = Object.create(store.events) as EventLog;
    log.readEvents = (q) => {
      limits.push(q.limit);
      return store.events.readEvents(q);
    };
    const { bus, delivered } = busOn(store, log);
    await bus.start();
    // 200,000 whole events in one read held ~190 MB more of a hub's memory at start.
    expect(limits).toEqual([10_000, 10_000, 10_000]);
    // Not a retry: only the window can tell it is known; one from each page.
    for (const n of [1, 12_345, 25_000]) {
      expect(await bus.publish('p', input(`logged-${n}`))).toEqual({ id: `logged-${n}`, offset: n, durable: true, duplicate: true });
    }
    expect(delivered).toHaveLength(0);
  });

  it('replays an event whose batch commits while the replay reads the store', async () => {
    // The store read takes its snapshot at once and answers later; meanwhile the batch with the
    // event commits and leaves the queue. The event is in neither unless the queue is read first.
    const store = new MemoryStore();
    let slow = false;
    let answer: () => void = () => undefined;
    const slowRead: EventLog['readEvents'] = async (q) => {
      const snapshot = await store.events.readEvents(q);
      if (slow) await new Promise<void>((resolve) => (answer = resolve));
      return snapshot;
    };
    const log = new Proxy(store.events, {
      get: (target, key) => (key === 'readEvents' ? slowRead : Reflect.get(target, key, target)),
    });
    const { bus, clock } = busOn(store, log);
    await bus.start();
    const published = bus.publish('p', input('in-flight'));
    const turns = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    await turns();
    slow = true;
    const replay = bus.query({ afterOffset: 0, patterns: ['a:#'], limit: 100 });
    await turns();
    clock.advance(5);
    const { offset } = await published;
    expect((await store.events.readEvents({ afterOffset: 0, limit: 100 })).map((e) => e.id)).toEqual(['in-flight']);
    answer();
    expect((await replay).map((e) => [e.id, e.offset])).toEqual([['in-flight', offset]]);
  });

  it('keeps the watermark below an event that is delivered but not committed', async () => {
    const { bus, clock } = busOn();
    await bus.start();
    const before = bus.watermark;
    const p = bus.publish('p', input('w1'));
    await Promise.resolve();
    await Promise.resolve();
    expect(bus.currentOffset).toBeGreaterThan(before);
    expect(bus.watermark).toBeLessThan(bus.currentOffset);
    clock.advance(5);
    const r = await p;
    expect(bus.watermark).toBeGreaterThanOrEqual(r.offset);
  });

  it('delivers an event whose offset is at hand within the publish call, in order', async () => {
    const { bus, clock, delivered } = busOn();
    await bus.start();
    const answers = [bus.publish('p', input('now-1')), bus.publish('p', input('now-2'))];
    // No await yet: both are delivered, numbered in call order, and in flight for duplicates.
    expect(delivered.map((e) => e.id)).toEqual(['now-1', 'now-2']);
    expect(delivered[1]!.offset).toBe(delivered[0]!.offset + 1);
    const duplicate = bus.publish('p', input('now-2'));
    clock.advance(5);
    const [a, b] = await Promise.all(answers);
    expect(a).toEqual({ id: 'now-1', offset: delivered[0]!.offset, durable: true, duplicate: false });
    expect(await duplicate).toEqual({ ...b, duplicate: true });
    expect(delivered).toHaveLength(2);
  });

  it('answers a publish that fails on the way with a rejection, never a throw', async () => {
    const store = new MemoryStore();
    const bus = new EventBus({
      log: store.events,
      offsets: new ReservedOffsets(store.kv, silentLogger, 100),
      fanout: {
        deliver: () => {
          throw new Error('fan-out failed');
        },
      },
      clock: new FakeClock(),
      newId: uuidV7,
      logger: silentLogger,
      batchMax: 1000,
      batchDelayMs: 5,
      policyFor: () => 'full',
    });
    await bus.start();
    let answer: Promise<unknown> | undefined;
    expect(() => (answer = bus.publish('p', input('fails')))).not.toThrow();
    await expect(answer).rejects.toThrow('fan-out failed');
  });

  it('stamps each event with the millisecond the bus accepted it', async () => {
    const { bus, clock, delivered } = busOn();
    await bus.start();
    const at = () => new Date(clock.now()).toISOString();
    const expected = [at(), at()];
    void bus.publish('p', input('ts-1'));
    void bus.publish('p', input('ts-2'));
    clock.advance(1);
    expected.push(at());
    void bus.publish('p', input('ts-3'));
    clock.advance(1500);
    expected.push(at());
    void bus.publish('p', input('ts-4'));
    expect(delivered.map((e) => e.ts)).toEqual(expected);
    expect(new Set(expected).size).toBe(3);
  });

  it('answers a publish while the store fails durable: false once, and reports it durable when it commits', async () => {
    const store = new MemoryStore();
    let failing = true;
    const log = new Proxy(store.events, {
      get: (target, key) =>
        key === 'appendEvents'
          ? (events: HubEvent[]) => (failing ? Promise.reject(new Error('store down')) : target.appendEvents(events))
          : Reflect.get(target, key, target),
    });
    const { bus, clock, delivered } = busOn(store, log);
    await bus.start();
    const late: string[][] = [];
    bus.on('lateDurable', (events) => late.push(events.map((e) => e.id)));
    const answer = bus.publish('p', input('queued'));
    await Promise.resolve();
    clock.advance(5);
    const first = await answer;
    expect(delivered.map((e) => e.id)).toEqual(['queued']);
    expect(first).toMatchObject({ id: 'queued', durable: false, duplicate: false });
    // Out of flight once answered: a duplicate is answered from the window, still not durable.
    expect(await bus.publish('p', input('queued'))).toEqual({ ...first, duplicate: true });
    failing = false;
    for (let i = 0; i < 5 && late.length === 0; i++) {
      clock.advance(60_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(late).toEqual([['queued']]);
    expect((await store.events.readEvents({ afterOffset: 0, limit: 10 })).map((e) => e.id)).toEqual(['queued']);
    expect(delivered).toHaveLength(1);
  });

  it('clamps an offset an agent reports to the watermark', async () => {
    const { bus } = busOn();
    await bus.start();
    bus.recordOffset('agent-1', 1_000_000);
    expect(await bus.agentOffset('agent-1')).toBe(bus.watermark);
  });
});
