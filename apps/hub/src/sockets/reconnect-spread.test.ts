import { describe, expect, it } from 'vitest';
import { MAX_SPREAD_MS, RegisterRate, spreadReconnects } from './reconnect-spread.ts';

describe('spreadReconnects', () => {
  it('spreads a fleet evenly over the time the node needs to take it, from the base delay', () => {
    const d = spreadReconnects(1000, 200, 1000);
    expect(d).toHaveLength(1000);
    expect(Math.min(...d)).toBe(1000);
    expect(Math.max(...d)).toBeGreaterThanOrEqual(1000 + 4900);
    expect(Math.max(...d)).toBeLessThanOrEqual(1000 + 5000);
    // Even: no one-second slice holds more than its share (plus rounding).
    const perSecond = new Map<number, number>();
    for (const x of d) perSecond.set(Math.floor((x - 1000) / 1000), (perSecond.get(Math.floor((x - 1000) / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(201);
  });

  it('caps the window and gives a single agent the base delay', () => {
    expect(Math.max(...spreadReconnects(100_000, 100, 0))).toBeLessThanOrEqual(MAX_SPREAD_MS);
    expect(spreadReconnects(1, 200, 750)).toEqual([750]);
  });

  it('measures the peak registrations per second', () => {
    let now = 0;
    const r = new RegisterRate(() => now);
    for (let i = 0; i < 30; i++) r.record();
    now = 1500;
    for (let i = 0; i < 10; i++) r.record();
    expect(r.peak).toBe(30);
  });
});
