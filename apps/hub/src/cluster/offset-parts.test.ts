import { describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { UnsettledRanges } from './unsettled-ranges.ts';
import { FALLBACK_LIMIT, FALLBACK_SPAN, FallbackRange, hashSlot } from './fallback-range.ts';
import { LaggingWatermark } from './watermark-poller.ts';
import { TickBatcher } from './tick-batcher.ts';

describe('UnsettledRanges', () => {
  it('reports a range done only when every offset in it is settled, once', () => {
    const r = new UnsettledRanges();
    r.add(10, 3);
    r.add(20, 2);
    expect(r.settle(11)).toBeNull();
    expect(r.settle(11)).toBeNull();
    expect(r.settle(10)).toBeNull();
    expect(r.settle(15)).toBeNull();
    expect(r.settle(12)).toBe(10);
    expect(r.firsts()).toEqual([20]);
    expect(r.settle(12)).toBeNull();
  });

  it('refuses a range below one already handed out', () => {
    const r = new UnsettledRanges();
    r.add(10, 5);
    expect(() => r.add(12, 1)).toThrow();
  });
});

describe('FallbackRange', () => {
  it('starts (1 + slot) spans above the highest counter seen and numbers on from there', () => {
    const f = new FallbackRange();
    expect(f.take(3, 1000, 2)).toBe(1000 + 3 * FALLBACK_SPAN);
    expect(f.take(2, 5000, 2)).toBe(1000 + 3 * FALLBACK_SPAN + 3);
    expect(f.end()).toEqual({ first: 1000 + 3 * FALLBACK_SPAN, used: 5 });
    expect(f.take(1, 5000, 2)).toBe(5000 + 3 * FALLBACK_SPAN);
  });

  it('refuses with STORE_UNAVAILABLE once an outage has used its share', () => {
    const f = new FallbackRange();
    f.take(FALLBACK_LIMIT - 1, 0, 0);
    f.take(1, 0, 0);
    let err: unknown;
    try {
      f.take(1, 0, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('STORE_UNAVAILABLE');
    expect(FALLBACK_LIMIT).toBeLessThanOrEqual(FALLBACK_SPAN);
  });

  it('derives a stable slot from a node id when Redis never gave one', () => {
    expect(hashSlot('node-a')).toBe(hashSlot('node-a'));
    expect(hashSlot('node-a')).toBeLessThan(256);
  });
});

describe('LaggingWatermark', () => {
  it('announces what the previous poll saw, never going back, and not moving while held', () => {
    const w = new LaggingWatermark();
    w.observe(10);
    expect(w.value).toBe(0);
    w.observe(20);
    expect(w.value).toBe(10);
    w.observe(5);
    expect(w.value).toBe(20);
    w.observe(null);
    expect(w.value).toBe(20);
    w.observe(null);
    expect(w.value).toBe(20);
  });
});

describe('TickBatcher', () => {
  it('serves one turn of the event loop with one fetch and resolves in request order', async () => {
    const fetches: number[] = [];
    let next = 100;
    const replies: Array<() => void> = [];
    const b = new TickBatcher({
      fetch: (n) => {
        fetches.push(n);
        const first = next;
        next += n;
        // Answered in reverse order: resolution must still follow request order.
        return new Promise((resolve) => replies.unshift(() => resolve(first)));
      },
      assign: (_n, f) => f!,
    });
    const order: number[] = [];
    const first = [b.request(), b.request(), b.request()].map((p) => p.then((o) => (order.push(o), o)));
    await new Promise((r) => setImmediate(r));
    const second = [b.request(), b.request()].map((p) => p.then((o) => (order.push(o), o)));
    await new Promise((r) => setImmediate(r));
    expect(fetches).toEqual([3, 2]);
    replies.forEach((reply) => reply());
    expect(await Promise.all([...first, ...second])).toEqual([100, 101, 102, 103, 104]);
    expect(order).toEqual([100, 101, 102, 103, 104]);
  });

  it('holds batches while paused and refuses a batch whose assignment throws', async () => {
    let fail = false;
    const b = new TickBatcher({
      fetch: async () => null,
      assign: (n) => {
        if (fail) throw new Error('used up');
        return n * 10;
      },
    });
    await b.pause();
    const held = b.request();
    let done = false;
    void held.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    b.resume();
    expect(await held).toBe(10);
    fail = true;
    await expect(b.request()).rejects.toThrow('used up');
  });
});
