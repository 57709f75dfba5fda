/**
 * Remembers which event ids a subscriber has handled, so a redelivered or replayed event never
 * runs a handler twice. Bounded (10,000 ids by default; past it the id added first is forgotten
 * first) and swept of entries older than `maxAgeMs` by `sweep()`, which the client runs hourly.
 *
 * The eviction order lives in an array rather than being found with `map.keys().next()`: V8
 * leaves a hole in a Map for every deleted entry until it rebuilds the table, and each walk from
 * the start steps over them, which cost ~7 µs per handled event at 10,000 ids.
 *
 * @example
 * const seen = new ProcessedRegistry(50_000);
 * if (!seen.has(e.id)) { handle(e); seen.add(e.id); }
 */
export class ProcessedRegistry {
  /** Id → when it was (last) handled. */
  private readonly seen = new Map<string, number>();
  /** Ids in the order they were first handled; the live ones start at `head`. */
  private order: Array<string | undefined> = [];
  private head = 0;

  constructor(
    private readonly capacity = 10_000,
    private readonly maxAgeMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(id: string): boolean {
    return this.seen.has(id);
  }

  add(id: string): void {
    if (!this.seen.has(id)) this.order.push(id);
    this.seen.set(id, this.now());
    while (this.seen.size > this.capacity) this.forgetOldest();
    this.compact();
  }

  /** Forgets ids first handled more than `maxAgeMs` ago (one handled again since is kept, with what follows it). */
  sweep(): number {
    const cutoff = this.now() - this.maxAgeMs;
    let removed = 0;
    while (this.head < this.order.length) {
      const at = this.seen.get(this.order[this.head]!);
      if (at !== undefined && at >= cutoff) break;
      this.forgetOldest();
      removed++;
    }
    this.compact();
    return removed;
  }

  get size(): number {
    return this.seen.size;
  }

  private forgetOldest(): void {
    this.seen.delete(this.order[this.head]!);
    this.order[this.head++] = undefined;
  }

  /** Drops the consumed front once it is most of the array: O(1) per add over time. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    } else if (this.head === this.order.length) {
      this.order = [];
      this.head = 0;
    }
  }
}
