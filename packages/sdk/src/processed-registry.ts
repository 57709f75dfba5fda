/**
 * Remembers which event ids a subscriber has handled, so a redelivered or replayed event never
 * runs a handler twice. Bounded (LRU by insertion, 10,000 ids by default) and swept of entries
 * older than `maxAgeMs` by `sweep()`, which the client runs hourly.
 *
 * @example
 * const seen = new ProcessedRegistry(50_000);
 * if (!seen.has(e.id)) { handle(e); seen.add(e.id); }
 */
export class ProcessedRegistry {
  private seen = new Map<string, number>();

  constructor(
    private readonly capacity = 10_000,
    private readonly maxAgeMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(id: string): boolean {
    return this.seen.has(id);
  }

  add(id: string): void {
    this.seen.delete(id);
    this.seen.set(id, this.now());
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
  }

  sweep(): number {
    const cutoff = this.now() - this.maxAgeMs;
    let removed = 0;
    for (const [id, at] of this.seen) {
      if (at >= cutoff) break; // insertion order is age order
      this.seen.delete(id);
      removed++;
    }
    return removed;
  }

  get size(): number {
    return this.seen.size;
  }
}
