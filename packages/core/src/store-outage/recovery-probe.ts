import type { Clock, TimerHandle } from '../ports/clock.ts';
import { settleWithin } from './deadline.ts';

export interface RecoveryProbeSettings {
  /** Time between pings while the store is failing (spread over ±50%). */
  intervalMs: number;
  /**
   * A ping not answered within this counts as failed. Each ping that times out doubles the wait
   * for the next one, up to 8x: a store that is back but answers slowly (a reconnect on a busy
   * machine) is then still noticed, instead of every ping being abandoned just before its answer.
   */
  timeoutMs: number;
}

const MAX_TIMEOUT_FACTOR = 8;

/**
 * Notices the store's return without waiting for the next scheduled retry: while started, pings
 * the store on a short interval and calls `onBack` when a ping succeeds after the store was found
 * failing. A store that answers pings but still fails writes gets no second call until a ping
 * fails again, so it is not hammered; the owner's backoff schedule retries it meanwhile.
 */
export class RecoveryProbe {
  private timer: TimerHandle | null = null;
  private inFlight = false;
  /** What the last ping found; false from `start()` on, since a failure is why the probe runs. */
  private reachable = false;
  /** Multiplies `timeoutMs`; doubled by each ping that timed out, back to 1 at `start()` or a refusal. */
  private patience = 1;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly clock: Clock,
    private readonly s: RecoveryProbeSettings,
    private readonly onBack: () => void,
    private readonly random: () => number = Math.random,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  /** The store was found failing: ping until `stop()`. Already running: no change. */
  start(): void {
    if (this.timer) return;
    this.reachable = false;
    this.patience = 1;
    this.schedule();
  }

  /** The store works again (or the owner is closing): no more pings. */
  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => void this.tick(), Math.round(this.s.intervalMs * (0.5 + this.random())));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.schedule();
    // One ping at a time: a store that hangs gets no pile of them.
    if (this.inFlight) return;
    this.inFlight = true;
    let ok = false;
    try {
      const outcome = await settleWithin(this.clock, this.s.timeoutMs * this.patience, this.ping());
      ok = outcome.settled;
      // Kept after an answer: a slow store stays slow for a while, and a shorter wait would flap.
      if (!outcome.settled) this.patience = Math.min(MAX_TIMEOUT_FACTOR, this.patience * 2);
    } catch {
      ok = false;
      this.patience = 1; // answered, with a refusal: the store is down, not slow
    } finally {
      this.inFlight = false;
    }
    const cameBack = ok && !this.reachable;
    this.reachable = ok;
    if (cameBack && this.timer) this.onBack();
  }
}
