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
/** The longest quiet time after a failed write, in intervals (see `writeFailed`). */
const MAX_QUIET_FACTOR = 8;

/**
 * Notices the store's return without waiting for the next scheduled retry: while started, pings
 * the store on a short interval and calls `onBack` when a ping succeeds after the store was found
 * failing. The owner reports a write that fails while pings answer (`writeFailed`); the next
 * answered ping, after a quiet time that grows with each such failure, calls `onBack` again.
 */
export class RecoveryProbe {
  private timer: TimerHandle | null = null;
  private inFlight = false;
  /** What the last ping found; false from `start()` on, since a failure is why the probe runs. */
  private reachable = false;
  /** Multiplies `timeoutMs`; doubled by each ping that timed out, back to 1 at `start()` or a refusal. */
  private patience = 1;
  /** Quiet time, in intervals, after the next failed write; doubled by each one, up to 8. */
  private quiet = 1;
  /** No pings before this (clock time): set by `writeFailed`. */
  private quietUntil = 0;

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
    this.quiet = 1;
    this.quietUntil = 0;
    this.schedule();
  }

  /**
   * The owner's write failed although the last ping was answered: a write that was already in
   * flight when the store came back and failed on its old connection, or a store that answers
   * pings and refuses writes (read-only after a failover, disk full). Without this, the owner
   * would wait for its backoff schedule (up to 45 s) although the store may take writes again
   * within a second. The next answered ping counts as a return again, after a quiet time of one
   * interval, doubled by each further failure up to 8: a store that keeps refusing writes gets
   * one every few seconds, not one per ping.
   */
  writeFailed(): void {
    if (!this.timer || !this.reachable) return;
    this.reachable = false;
    this.quietUntil = this.clock.now() + this.s.intervalMs * this.quiet;
    this.quiet = Math.min(MAX_QUIET_FACTOR, this.quiet * 2);
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
    if (this.inFlight || this.clock.now() < this.quietUntil) return;
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
