import { describe, expect, it } from 'vitest';
import { Uuid } from './common.ts';
import { timeOrderedId } from './ids.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('timeOrderedId', () => {
  it('is a UUID version 7 whose first 48 bits are the time it was made at', () => {
    const now = Date.parse('2026-12-07T21:00:00.123Z');
    const id = timeOrderedId(now);
    expect(id).toMatch(V7);
    expect(msOf(id)).toBe(now);
    expect(Uuid.safeParse(id).success).toBe(true);
    expect(msOf(timeOrderedId())).toBeGreaterThanOrEqual(now);
  });

  it('sorts by the millisecond it was made in, as text and so in a "C"-collated index', () => {
    const base = Date.parse('2026-12-07T21:00:00Z');
    const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(base + Math.floor(i / 7)));
    const sorted = [...ids].sort();
    expect(sorted.map(msOf)).toEqual(ids.map(msOf));
    // Across a carry of the hex digits, too.
    expect(timeOrderedId(0xffffffff) < timeOrderedId(0x100000000)).toBe(true);
  });

  it('keeps the rest random: ids of one millisecond differ', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedId(now)));
    expect(ids.size).toBe(10_000);
  });
});
