import { describe, expect, it } from 'vitest';
import { ProcessedRegistry } from './processed-registry.ts';

describe('processed-event registry', () => {
  it('remembers processed ids up to its capacity, forgetting the oldest', () => {
    const r = new ProcessedRegistry(3);
    ['a', 'b', 'c', 'd'].forEach((id) => r.add(id));
    expect(r.has('a')).toBe(false);
    expect(r.has('d')).toBe(true);
    expect(r.size).toBe(3);
  });

  it('sweeps entries older than its max age', () => {
    let now = 0;
    const r = new ProcessedRegistry(100, 1000, () => now);
    r.add('old');
    now = 800;
    r.add('young');
    now = 1500;
    expect(r.sweep()).toBe(1);
    expect(r.has('old')).toBe(false);
    expect(r.has('young')).toBe(true);
  });

  it('keeps exactly the last ids through many evictions, and an id handled again keeps its place', () => {
    const r = new ProcessedRegistry(1000);
    r.add('first');
    r.add('first');
    for (let i = 0; i < 999; i++) r.add(`id-${i}`);
    expect(r.has('first')).toBe(true);
    r.add('one-more');
    expect(r.has('first')).toBe(false);
    for (let i = 0; i < 50_000; i++) r.add(`bulk-${i}`);
    expect(r.size).toBe(1000);
    expect(r.has('bulk-48999')).toBe(false);
    expect(r.has('bulk-49000')).toBe(true);
  });

  it('sweeps up to the first id handled within the max age, and can be filled again after emptying', () => {
    let now = 0;
    const r = new ProcessedRegistry(100, 1000, () => now);
    r.add('a');
    r.add('b');
    now = 2000;
    expect(r.sweep()).toBe(2);
    expect(r.size).toBe(0);
    r.add('c');
    expect(r.has('c')).toBe(true);
    expect(r.sweep()).toBe(0);
  });
});
