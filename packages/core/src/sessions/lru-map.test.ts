import { describe, expect, it } from 'vitest';
import { LruMap } from './lru-map.ts';

describe('LRU map', () => {
  it('forgets the least recently set or touched key past its capacity', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.touch('a')).toBe(1);
    m.set('b', 20);
    m.set('d', 4); // c is now the least recent
    expect(m.get('c')).toBeUndefined();
    expect([m.get('a'), m.get('b'), m.get('d')]).toEqual([1, 20, 4]);
    expect(m.size).toBe(3);
    expect(m.touch('c')).toBeUndefined();
  });

  it('keeps the right keys through many touches, deletes and evictions (stale order entries are skipped and dropped)', () => {
    const m = new LruMap<number, number>(100);
    for (let i = 0; i < 100; i++) m.set(i, i);
    for (let round = 0; round < 200; round++) for (let i = 0; i < 50; i++) m.touch(i); // 10,000 stale entries
    m.delete(0);
    for (let i = 100; i < 151; i++) m.set(i, i); // 51 new keys: evict 50..99, keep 1..49 (recently touched)
    expect(m.size).toBe(100);
    expect(m.get(0)).toBeUndefined();
    expect(m.get(1)).toBe(1);
    expect(m.get(49)).toBe(49);
    expect(m.get(50)).toBeUndefined();
    expect(m.get(99)).toBeUndefined();
    expect(m.get(150)).toBe(150);
  });
});
