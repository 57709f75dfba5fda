/** The longest window a fleet's reconnects are spread over after a graceful stop. */
export const MAX_SPREAD_MS = 30_000;

/**
 * Registrations per second seen by this node, in one-second buckets, with the peak: how fast a
 * node like this one takes a reconnecting fleet (the spread after a graceful stop is sized by it).
 */
export class RegisterRate {
  private bucket = 0;
  private count = 0;
  private best = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(): void {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.bucket) {
      this.bucket = second;
      this.count = 0;
    }
    this.best = Math.max(this.best, ++this.count);
  }

  get peak(): number {
    return this.best;
  }
}

/**
 * Each of `n` sockets gets its own reconnect delay: `baseMs`, plus an even share of a window long
 * enough for the node to take `n` registrations at `ratePerSec` (capped), in random order — so a
 * restarted node sees a steady stream instead of the whole fleet at once.
 */
export function spreadReconnects(n: number, ratePerSec: number, baseMs: number, random: () => number = Math.random): number[] {
  const windowMs = Math.min(MAX_SPREAD_MS, Math.ceil((n / Math.max(1, ratePerSec)) * 1000));
  const slots = Array.from({ length: n }, (_, i) => baseMs + Math.floor((i / Math.max(1, n)) * windowMs));
  // Fisher–Yates: which socket gets which slot is random, the slots themselves are even.
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return slots;
}
