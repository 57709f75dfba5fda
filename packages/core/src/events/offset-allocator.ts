/**
 * Hands out event offsets. On one node a counter is enough; nodes sharing one log need offsets
 * that are unique across all of them (see the hub's Redis allocator).
 */
export interface OffsetAllocator {
  /** Called once at start with the highest offset already in the log. */
  start(logMax: number): Promise<void>;
  /** The next offset: unique across every node writing the same log, increasing on this node. */
  next(): number | Promise<number>;
  /** The highest offset handed out (or known) so far. */
  current(): number;
  close?(): Promise<void>;
}

/** One node: a counter continuing from the log. */
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
