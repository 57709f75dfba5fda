interface Range {
  first: number;
  size: number;
  open: number;
  /** One flag per offset, so a repeated `settle` cannot close a range early. */
  settled: Uint8Array;
}

/**
 * The offset ranges this node has handed out whose events are not settled yet (committed, or
 * given up for good). A range leaves the cluster's in-flight set only when all of it is settled.
 * Ranges are added in increasing order (offsets increase on one node), so lookups are a binary
 * search.
 */
export class UnsettledRanges {
  private ranges: Range[] = [];

  add(first: number, size: number): void {
    const prev = this.ranges[this.ranges.length - 1];
    if (prev && first < prev.first + prev.size) throw new Error(`offset range ${first} is below one already handed out`);
    this.ranges.push({ first, size, open: size, settled: new Uint8Array(size) });
  }

  /** Marks one offset settled; returns the first offset of its range if that range is now done. */
  settle(offset: number): number | null {
    const i = this.indexOf(offset);
    if (i < 0) return null;
    const r = this.ranges[i]!;
    const at = offset - r.first;
    if (r.settled[at]) return null;
    r.settled[at] = 1;
    if (--r.open > 0) return null;
    this.ranges.splice(i, 1);
    return r.first;
  }

  /** First offsets of the ranges still open, ascending. */
  firsts(): number[] {
    return this.ranges.map((r) => r.first);
  }

  get count(): number {
    return this.ranges.length;
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (offset < r.first) hi = mid - 1;
      else if (offset >= r.first + r.size) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}
