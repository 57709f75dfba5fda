import { randomInt } from 'node:crypto';

/**
 * Bounded map of recently published event ids to their offsets; past `capacity` the id added
 * first is forgotten first (adding an id again keeps its place and takes the new offset).
 *
 * Kept outside V8's heap. A `Map<string, number>` of 200,000 ids held ~20 MB of strings and hash
 * table that every major GC marks; fed 10,000 new ids a second it was most of what the hub promoted
 * to its old generation, which V8 then let grow by ~40 MB (docs/benchmarks.md, 2026-12-06, seventh
 * session). Here an id is bytes in a ring buffer (ids leave in the order they came, so their bytes
 * do too), its slot's offset and hash sit in typed arrays, and an open-addressing table (linear
 * probing, at most half full) maps a hash to a slot: ~60 bytes an id, none of them on the heap.
 *
 * The hash is Jenkins's one-at-a-time with a seed drawn per process, as V8's own string hash is
 * seeded: an agent cannot choose ids that collide without knowing it.
 */
export class RecentIds {
  private readonly offsets: Float64Array;
  private readonly hashes: Int32Array;
  /** Where a slot's id starts in `bytes` (an id kept in `wide` has no bytes, but a place all the same). */
  private readonly starts: Uint32Array;
  /** A slot's id length in bytes; 0: the id is in `wide` (empty, or a character above U+00FF). */
  private readonly lengths: Uint32Array;
  private readonly wide = new Map<number, string>();
  /** Slot + 1 per bucket; 0 is an empty bucket. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly seed = randomInt(0, 2 ** 31);
  private bytes: Uint8Array;
  /** Where the next id's bytes go. */
  private write = 0;
  /** The oldest slot, and how many are in use from it on (wrapping around). */
  private head = 0;
  private count = 0;
  private lastId: string | undefined;
  private lastHash = 0;

  /**
   * `options` are for tests: a ring that starts small wraps and grows within a few ids, and a hash
   * that collides sends every id down the same probe run.
   */
  constructor(
    private readonly capacity: number,
    options: { initialBytes?: number; hash?: (id: string) => number } = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    this.bytes = new Uint8Array(options.initialBytes ?? 64 * 1024);
    if (options.hash) this.hashOf = options.hash;
    this.offsets = new Float64Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    let buckets = 8;
    while (buckets < capacity * 2) buckets *= 2;
    this.table = new Int32Array(buckets);
    this.mask = buckets - 1;
  }

  get(id: string): number | undefined {
    const bucket = this.find(id, this.hash(id));
    return this.table[bucket] === 0 ? undefined : this.offsets[this.table[bucket]! - 1];
  }

  add(id: string, offset: number): void {
    const h = this.hash(id);
    let bucket = this.find(id, h);
    if (this.table[bucket] !== 0) {
      this.offsets[this.table[bucket]! - 1] = offset;
      return;
    }
    if (this.count === this.capacity) {
      this.evictOldest();
      // Evicting shifts entries back along their probe runs: look for the free bucket again.
      bucket = this.find(id, h);
    }
    const slot = (this.head + this.count) % this.capacity;
    this.store(slot, id);
    this.hashes[slot] = h;
    this.offsets[slot] = offset;
    this.table[bucket] = slot + 1;
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** The bucket holding `id`, or the empty bucket where its probe run ends. */
  private find(id: string, h: number): number {
    const { table, hashes, mask } = this;
    let bucket = h & mask;
    for (let entry = table[bucket]!; entry !== 0; entry = table[bucket]!) {
      if (hashes[entry - 1] === h && this.holds(entry - 1, id)) return bucket;
      bucket = (bucket + 1) & mask;
    }
    return bucket;
  }

  private holds(slot: number, id: string): boolean {
    const length = this.lengths[slot]!;
    if (length === 0) return this.wide.get(slot) === id;
    if (length !== id.length) return false;
    const { bytes } = this;
    const start = this.starts[slot]!;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private hash(id: string): number {
    if (id === this.lastId) return this.lastHash;
    const h = this.hashOf(id);
    this.lastId = id;
    this.lastHash = h;
    return h;
  }

  private hashOf(id: string): number {
    let h = this.seed;
    for (let i = 0; i < id.length; i++) {
      h = (h + id.charCodeAt(i)) | 0;
      h = (h + (h << 10)) | 0;
      h ^= h >>> 6;
    }
    h = (h + (h << 3)) | 0;
    h ^= h >>> 11;
    return (h + (h << 15)) | 0;
  }

  private store(slot: number, id: string): void {
    let narrow = id.length > 0;
    for (let i = 0; narrow && i < id.length; i++) narrow = id.charCodeAt(i) <= 0xff;
    if (!narrow) {
      this.starts[slot] = this.place(0);
      this.lengths[slot] = 0;
      this.wide.set(slot, id);
      return;
    }
    const start = this.place(id.length);
    const { bytes } = this;
    for (let i = 0; i < id.length; i++) bytes[start + i] = id.charCodeAt(i);
    this.starts[slot] = start;
    this.lengths[slot] = id.length;
    this.write = start + id.length;
  }

  /**
   * Where `length` new bytes can go without touching a live id's: after the newest id, or wrapped
   * to the front of the buffer before the oldest. The live bytes run from the oldest id's start to
   * `write`, wrapping at most once; a wrapped write never catches up with that start (strictly
   * before it), so `write === start` only ever means nothing is live. Grows the buffer otherwise.
   */
  private place(length: number): number {
    if (this.count === 0) this.write = 0;
    const tail = this.count === 0 ? 0 : this.starts[this.head]!;
    const size = this.bytes.length;
    if (this.write >= tail) {
      if (this.write + length <= size) return this.write;
      if (length < tail) return 0;
    } else if (this.write + length < tail) {
      return this.write;
    }
    this.grow(length);
    return this.write;
  }

  /** Copies the live ids, oldest first, to the front of a buffer with room for `length` more. */
  private grow(length: number): void {
    let live = 0;
    for (let n = 0; n < this.count; n++) live += this.lengths[(this.head + n) % this.capacity]!;
    let size = Math.max(this.bytes.length * 2, 16);
    while (size < live + length + 1) size *= 2;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let n = 0; n < this.count; n++) {
      const slot = (this.head + n) % this.capacity;
      const start = this.starts[slot]!;
      const len = this.lengths[slot]!;
      bytes.set(this.bytes.subarray(start, start + len), at);
      this.starts[slot] = at;
      at += len;
    }
    this.bytes = bytes;
    this.write = at;
  }

  private evictOldest(): void {
    const slot = this.head;
    const { table, hashes, mask } = this;
    let hole = hashes[slot]! & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: pull later entries of the run into the hole when their home allows.
    for (let next = (hole + 1) & mask; table[next] !== 0; next = (next + 1) & mask) {
      const home = hashes[table[next]! - 1]! & mask;
      const fits = hole <= next ? home <= hole || home > next : home <= hole && home > next;
      if (fits) {
        table[hole] = table[next]!;
        hole = next;
      }
    }
    table[hole] = 0;
    if (this.lengths[slot] === 0) this.wide.delete(slot);
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
