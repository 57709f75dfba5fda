import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.ts';

describe('recent event ids', () => {
  it('forgets the id added first once past its capacity, and keeps the place of an id added again', () => {
    const r = new RecentIds(3);
    r.add('a', 1);
    r.add('b', 2);
    r.add('a', 10); // updated, still the oldest
    r.add('c', 3);
    r.add('d', 4);
    expect(r.get('a')).toBeUndefined();
    expect([r.get('b'), r.get('c'), r.get('d')]).toEqual([2, 3, 4]);
    expect(r.size).toBe(3);
  });

  it('holds exactly the last `capacity` ids through many evictions (the order array is compacted)', () => {
    const r = new RecentIds(1000);
    for (let i = 0; i < 50_000; i++) r.add(`id-${i}`, i);
    expect(r.size).toBe(1000);
    expect(r.get('id-48999')).toBeUndefined();
    expect(r.get('id-49000')).toBe(49_000);
    expect(r.get('id-49999')).toBe(49_999);
  });
});
