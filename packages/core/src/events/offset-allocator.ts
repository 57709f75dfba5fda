/**
 * Hands out event offsets. The promise subscribers rely on: an offset that was ever handed out is
 * never handed out again, not after a crash and not by another node (gaps are allowed, reuse is
 * not), so "resume after the highest offset I processed" can never skip an event that took a
 * number somebody already saw.
 */
export interface OffsetAllocator {
  /** Called once at start with the highest offset already in the log. */
  start(logMax: number): Promise<void>;
  /** The next offset: unique across every node writing the same log, increasing on this node. */
  next(): number | Promise<number>;
  /** The highest offset handed out (or known) so far. */
  current(): number;
  /**
   * These offsets are settled: committed to the log, or given up for good (they will never
   * exist). Lets a shared allocator advance the cluster's committed watermark.
   */
  settled?(offsets: number[]): void;
  /**
   * The committed watermark as far as this allocator can tell (several nodes): every offset ≤ it
   * is committed or will never exist. Undefined when the bus alone knows (one node).
   */
  watermark?(): number;
  /**
   * The highest offset handed out by any node right now (read fresh, not cached): a subscription
   * joined now may have missed the live delivery of anything up to it.
   */
  allocatedUpTo?(): Promise<number>;
  /** Offsets skipped for good so far (reserved but never used, e.g. after a crash): a metric. */
  gaps?(): number;
  close?(): Promise<void>;
}

/**
 * A plain counter continuing from the log: only for a log that does not outlive the process (the
 * memory store, tests). A durable log needs ReservedOffsets, or a crash can reuse numbers.
 */
export class LocalOffsets implements OffsetAllocator {
  private value = 0;

  async start(logMax: number): Promise<void> {
    this.value = Math.max(this.value, logMax);
  }

  next(): number {
    return ++this.value;
  }

  current(): number {
    return this.value;
  }
}
