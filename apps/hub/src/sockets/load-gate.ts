import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoadGateOptions {
  /** Event-loop delay (ms) above which the hub refuses new publishes for a while. */
  lagMs: number;
  /** How often the delay is read (ms). */
  windowMs?: number;
  now?: () => number;
}

/**
 * Admission by the hub's own health: heartbeats share the event loop with everything else, so a
 * loop running late means agents are about to be dropped for a missed pong. While the loop's
 * delay over the last window exceeds `lagMs`, new publishes are refused with RATE_LIMITED and a
 * retry-after (the SDK waits and re-sends): the work queued so far drains, and nobody is dropped.
 */
export class LoadGate {
  private readonly histogram: IntervalHistogram;
  private readonly timer: ReturnType<typeof setInterval>;
  private overloadedUntil = 0;
  private lastOverloadAt = -Infinity;
  private lastLagMs = 0;
  refusals = 0;

  constructor(private readonly o: LoadGateOptions) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    const windowMs = o.windowMs ?? 250;
    this.timer = setInterval(() => {
      this.lastLagMs = this.histogram.max / 1e6;
      this.histogram.reset();
      // Stay closed for one more window after the lag clears, so admission does not flap.
      if (this.lastLagMs > o.lagMs) {
        this.overloadedUntil = this.now() + 2 * windowMs;
        this.lastOverloadAt = this.now();
      }
    }, windowMs);
    this.timer.unref();
  }

  /** The worst event-loop delay of the last window (ms). */
  get lagMs(): number {
    return this.lastLagMs;
  }

  get overloaded(): boolean {
    return this.now() < this.overloadedUntil;
  }

  /** Whether the loop ran late within the last `ms` (a disconnect noticed now may be the hub's fault). */
  overloadedWithin(ms: number): boolean {
    return this.overloaded || this.now() - this.lastOverloadAt <= ms;
  }

  /** How long a refused publisher should wait (ms): about one window, with jitter so retries spread. */
  retryAfterMs(): number {
    return Math.round(200 + Math.random() * 300);
  }

  /** Marks the hub overloaded now (e.g. the event log's queue is full). */
  trip(forMs: number): void {
    this.overloadedUntil = Math.max(this.overloadedUntil, this.now() + forMs);
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
