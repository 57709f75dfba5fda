import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
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

/** The plain definition: a Map in insertion order, the first-added id evicted first. */
class ModelIds {
  readonly ids = new Map<string, number>();
  constructor(private readonly capacity: number) {}
  add(id: string, offset: number): void {
    this.ids.set(id, offset);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
  }
}

describe('recent event ids, against a plain Map', () => {
  // Short ids from a small alphabet repeat often (re-adds, hits after eviction); some are wide
  // (a character above U+00FF) or empty, which are kept apart from the byte ring.
  const id = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-'), minLength: 1, maxLength: 3 }) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('x', 'é', 'ж', '😀'), maxLength: 4 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('q', 'r'), minLength: 60, maxLength: 300 }) },
  );
  const step = fc.oneof(fc.record({ add: id, offset: fc.integer({ min: 0, max: 2 ** 40 }) }), fc.record({ get: id }));

  // The seeded hash, or one that collides for most ids (every lookup compares ids down one run).
  const hash = fc.constantFrom(
    undefined,
    (id: string) => id.length % 3,
    () => 7,
  );

  it('answers every get as the Map does, through evictions, re-adds, wraps and growth', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 200 }),
        hash,
        fc.array(step, { maxLength: 600 }),
        (capacity, initialBytes, hashFn, steps) => {
          const ids = new RecentIds(capacity, { initialBytes, hash: hashFn });
          const model = new ModelIds(capacity);
          for (const s of steps) {
            if ('add' in s) {
              ids.add(s.add, s.offset);
              model.add(s.add, s.offset);
              // Every id still held, not only the next one asked for: a write over another id's bytes shows at once.
              for (const [k, v] of model.ids) expect(ids.get(k)).toBe(v);
            } else {
              expect(ids.get(s.get)).toBe(model.ids.get(s.get));
            }
            expect(ids.size).toBe(model.ids.size);
          }
          for (const [k, v] of model.ids) expect(ids.get(k)).toBe(v);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps 200,000 UUIDs exact across several turns of the ring, with long ids mixed in', () => {
    const capacity = 200_000;
    const ids = new RecentIds(capacity);
    const all: string[] = [];
    for (let i = 0; i < 700_000; i++) {
      const id = i % 997 === 0 ? `long-${'x'.repeat(50)}-${i}` : randomUUID();
      all.push(id);
      ids.add(id, i);
    }
    expect(ids.size).toBe(capacity);
    for (let i = 0; i < all.length; i += 7) expect(ids.get(all[i]!)).toBe(i >= all.length - capacity ? i : undefined);
    expect(ids.get(randomUUID())).toBeUndefined();
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentIds(0)).toThrow(RangeError);
    expect(() => new RecentIds(1.5)).toThrow(RangeError);
  });
});
