import { HubError } from '@agent-hub/protocol';

/** Distance between two nodes' fallback ranges (one per slot). */
export const FALLBACK_SPAN = 2 ** 24;
/**
 * Offsets one node may number on its own per outage. Less than the span: nodes compute their
 * bases from their own view of the counter, which can differ by what was handed out within one
 * poll interval; the guard band keeps neighbouring ranges apart despite that.
 */
export const FALLBACK_LIMIT = FALLBACK_SPAN - 2 ** 20;
/** Slots per cluster: fallback bases reach (1 + 255) spans above the counter. */
export const SLOTS = 256;

/**
 * Numbering while Redis cannot be reached: from base = (highest counter value this node saw)
 * + (1 + slot) × span. Slots differ between live nodes, so two nodes cut off at once cannot
 * collide, and everything is above what Redis handed out before the outage. What the rest of the
 * cluster hands out meanwhile stays below as long as it is fewer than a span's worth.
 *
 * Order across nodes is only per node during the outage: another node's events numbered later
 * can carry lower offsets than this node's. When Redis answers again the counter is raised above
 * every fallback offset used (see RedisOffsets.sync), so numbers stay unique and increasing after.
 */
export class FallbackRange {
  private first: number | null = null;
  private next: number | null = null;
  private used = 0;

  /** First of n consecutive offsets; `seen` fixes the base when this is the outage's first use. */
  take(n: number, seen: number, slot: number): number {
    if (this.next === null) this.first = this.next = seen + (1 + (slot % SLOTS)) * FALLBACK_SPAN;
    if (this.used + n > FALLBACK_LIMIT) {
      throw new HubError('STORE_UNAVAILABLE', 'event offsets unavailable: Redis is down and this node has used its fallback range', {
        used: this.used,
        limit: FALLBACK_LIMIT,
      });
    }
    const first = this.next;
    this.next += n;
    this.used += n;
    return first;
  }

  get active(): boolean {
    return this.next !== null;
  }

  /** The outage is over (Redis took the numbering back): where its range began and how much it used. */
  end(): { first: number | null; used: number } {
    const out = { first: this.first, used: this.used };
    this.first = this.next = null;
    this.used = 0;
    return out;
  }
}

/**
 * A slot for a node that never reached Redis (so was handed none): keeps nodes apart unless two
 * ids hash alike (1 in 256), and then they collide only if both are cut off at once.
 */
export function hashSlot(node: string): number {
  let h = 0;
  for (const c of node) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % SLOTS;
}
