import { describe, expect, it } from 'vitest';
import type { HubEvent } from '@agent-hub/protocol';
import { DeliveryQueue } from './delivery-queue.ts';
import { ProcessedRegistry } from './processed-registry.ts';
import { Subscriptions, type EventHandler } from './subscriptions.ts';

const event = (offset: number, topic = 'jobs:run'): HubEvent => ({
  id: `ev-${offset}`,
  offset,
  topic,
  priority: 'normal',
  ts: new Date().toISOString(),
  publisher: 'p',
  payload: offset,
});

function queue(handlers: Record<string, EventHandler>, acks: Array<{ offset: number; latencies: number[] }> = []) {
  const subs = new Subscriptions();
  for (const [pattern, h] of Object.entries(handlers)) subs.add([pattern], h);
  const nacks: Array<{ id: string; attempts: number }> = [];
  let letters = 0;
  const q = new DeliveryQueue({
    subs,
    processed: new ProcessedRegistry(),
    attempts: 2,
    backoffMs: 1,
    initialOffset: null,
    ack: (offset, latencies) => void acks.push({ offset, latencies }),
    deadLetter: async (e, attempts) => {
      nacks.push({ id: e.id, attempts });
      return { id: `dl-${++letters}` };
    },
    onError: () => undefined,
  });
  return { q, nacks };
}

describe('DeliveryQueue redelivery', () => {
  it('runs the handler that dead-lettered an event again although its id is processed', async () => {
    let failing = true;
    const calls: string[] = [];
    const other: string[] = [];
    const { q, nacks } = queue({
      'jobs:*': (e) => {
        calls.push(e.id);
        if (failing) throw new Error('no');
      },
      'jobs:#': (e) => void other.push(e.id),
    });
    q.push(event(5));
    await q.idle();
    await Promise.resolve();
    expect([calls.length, other.length, nacks]).toEqual([2, 1, [{ id: 'ev-5', attempts: 2 }]]);

    failing = false;
    expect(q.redeliver(event(5), 'dl-1')).toBe(1);
    await q.idle();
    expect(calls).toEqual(['ev-5', 'ev-5', 'ev-5']);
    expect(other).toEqual(['ev-5']);
    expect(q.lastOffset).toBe(5);
  });

  it('runs every handler of the topic for a dead letter it does not know, and none without a handler', async () => {
    const calls: string[] = [];
    const { q } = queue({ 'jobs:*': (e) => void calls.push(`a:${e.id}`), 'jobs:#': (e) => void calls.push(`b:${e.id}`) });
    expect(q.redeliver(event(3), 'dl-from-an-earlier-run')).toBe(2);
    await q.idle();
    expect(calls.sort()).toEqual(['a:ev-3', 'b:ev-3']);
    // A redelivery never moves the acked offset (it is an old event).
    expect(q.lastOffset).toBeNull();
    expect(q.redeliver(event(4, 'other:topic'), 'dl-x')).toBe(0);
  });

  it('dead-letters a redelivered event that fails again, with the usual attempts', async () => {
    const { q, nacks } = queue({ 'jobs:*': () => Promise.reject(new Error('still down')) });
    q.push(event(1));
    await q.idle();
    await Promise.resolve();
    q.redeliver(event(1), 'dl-1');
    await q.idle();
    expect(nacks).toEqual([
      { id: 'ev-1', attempts: 2 },
      { id: 'ev-1', attempts: 2 },
    ]);
  });
});

describe('DeliveryQueue holding a replay', () => {
  it('runs every event of a long replay held during its subscribe, in offset order', async () => {
    // A subscriber back from a long absence: the hub replays everything it missed before the
    // subscribe's ack, and the queue holds it all until then (200,000 events: past what one
    // call's arguments can carry).
    const seen: number[] = [];
    const { q } = queue({ 'jobs:#': (e) => void seen.push(e.offset) });
    q.hold();
    const total = 200_000;
    for (let offset = total; offset >= 1; offset--) q.push(event(offset), false);
    q.push(event(total + 1)); // live, arriving before the ack
    q.release();
    await q.idle();
    expect(seen.length).toBe(total + 1);
    expect(seen.every((offset, i) => offset === i + 1)).toBe(true);
    expect(q.lastOffset).toBe(total + 1);
    expect(q.replayedCount).toBe(total);
  });
});

describe('DeliveryQueue and events messages', () => {
  it('takes an events message outside a subscribe as live events (latencies sampled), inside one as a replay', async () => {
    const seen: number[] = [];
    const acks: Array<{ offset: number; latencies: number[] }> = [];
    const { q } = queue({ 'jobs:#': (e) => void seen.push(e.offset) }, acks);
    q.pushMany([event(1), event(2), event(3)]); // a live burst (protocol 3)
    await q.idle();
    q.hold(); // a subscribe in flight: its replay page
    q.pushMany([event(4), event(5)]);
    q.release();
    await q.idle();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(q.replayedCount).toBe(2);
    await new Promise((r) => setTimeout(r, 100)); // the batched ack
    expect(acks.at(-1)?.offset).toBe(5);
    expect(acks.flatMap((a) => a.latencies)).toHaveLength(3);
  });
});
