/**
 * A map that forgets its least recently set entry past `capacity`, in O(1) per call.
 *
 * The usual `map.delete(k); map.set(k, v)` + `map.delete(map.keys().next().value)` LRU costs
 * O(capacity) per eviction in V8: each deleted entry leaves a hole until the table is rebuilt, and
 * the walk from the start steps over every one. Here the order is a queue of (key, stamp) and a
 * queued entry whose stamp is no longer the key's current one is skipped; the queue is rebuilt
 * when stale entries outnumber live ones.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, { value: V; stamp: number }>();
  private order: Array<{ key: K; stamp: number } | undefined> = [];
  private head = 0;
  private stamps = 0;

  constructor(private readonly capacity: number) {}

  /** The value, without making it recent (see `touch`). */
  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets the value and makes the key the most recent. */
  set(key: K, value: V): void {
    const stamp = ++this.stamps;
    this.map.set(key, { value, stamp });
    this.order.push({ key, stamp });
    while (this.map.size > this.capacity) this.evictOldest();
    if (this.order.length - this.head > 2 * this.map.size + 1024) this.rebuildOrder();
  }

  /** Makes the key the most recent; returns its value (undefined if absent). */
  touch(key: K): V | undefined {
    const hit = this.map.get(key);
    if (hit) this.set(key, hit.value);
    return hit?.value;
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  private evictOldest(): void {
    while (this.head < this.order.length) {
      const o = this.order[this.head];
      this.order[this.head++] = undefined;
      if (o && this.map.get(o.key)?.stamp === o.stamp) {
        this.map.delete(o.key);
        return;
      }
    }
  }

  private rebuildOrder(): void {
    const live: Array<{ key: K; stamp: number }> = [];
    for (let i = this.head; i < this.order.length; i++) {
      const o = this.order[i];
      if (o && this.map.get(o.key)?.stamp === o.stamp) live.push(o);
    }
    this.order = live;
    this.head = 0;
  }
}
