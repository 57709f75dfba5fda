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
});
