import { describe, expect, it } from 'vitest';
import type { HubEvent } from '@agent-hub/protocol';
import { EventSubscription } from './event-subscription.ts';

const ev = (offset: number): HubEvent =>
  ({
    id: `e${offset}`,
    offset,
    topic: 't:x',
    payload: offset,
    priority: 'normal',
    publisher: 'p',
    ts: new Date().toISOString(),
  }) as HubEvent;
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A subscription whose pins are visible: what the client may ack is below the lowest pinned offset. */
function make(bufferSize: number) {
  const pins = new Map<number, number>();
  let removed = 0;
  const sub = new EventSubscription({
    patterns: ['t:#'],
    bufferSize,
    pin: (o) => pins.set(o, (pins.get(o) ?? 0) + 1),
    unpin: (o) => (pins.get(o) === 1 ? pins.delete(o) : pins.set(o, pins.get(o)! - 1)),
    remove: async () => void removed++,
  });
  return { sub, pinned: () => [...pins.keys()].sort((a, b) => a - b), removed: () => removed };
}

describe('EventSubscription', () => {
  it('holds acks for events the loop has not finished, and releases each when the loop asks for the next', async () => {
    const { sub, pinned } = make(10);
    await sub.handler(ev(1));
    await sub.handler(ev(2));
    expect(pinned()).toEqual([1, 2]);
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value?.offset).toBe(1);
    expect(pinned()).toEqual([1, 2]); // taken, the loop body still runs
    expect((await it.next()).value?.offset).toBe(2);
    expect(pinned()).toEqual([2]);
  });

  it('makes delivery wait for the loop when the buffer is full, dropping nothing', async () => {
    const { sub } = make(2);
    await sub.handler(ev(1));
    await sub.handler(ev(2));
    let third = false;
    void Promise.resolve(sub.handler(ev(3))).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    expect(sub.buffered).toBe(2);
    const it = sub[Symbol.asyncIterator]();
    await it.next();
    await tick();
    expect(third).toBe(true);
    expect([(await it.next()).value?.offset, (await it.next()).value?.offset]).toEqual([2, 3]);
  });

  it('hands an event straight to a waiting loop', async () => {
    const { sub } = make(1);
    const it = sub[Symbol.asyncIterator]();
    const next = it.next();
    await sub.handler(ev(7));
    expect((await next).value?.offset).toBe(7);
  });

  it('leaving the loop unsubscribes once, ends it, and lets go of buffered events', async () => {
    const { sub, pinned, removed } = make(5);
    await sub.handler(ev(1));
    await sub.handler(ev(2));
    for await (const e of sub) {
      expect(e.offset).toBe(1);
      break;
    }
    expect(removed()).toBe(1);
    expect(sub.closed).toBe(true);
    expect(pinned()).toEqual([]);
    await sub.unsubscribe();
    expect(removed()).toBe(1);
    expect(await sub[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});
