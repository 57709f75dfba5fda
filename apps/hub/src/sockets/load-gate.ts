import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoadGateOptions {
  /** Event-loop delay (ms) above which the hub refuses new publishes for a while. */
  lagMs: number;
  /** How often the delay is read (ms). */
  windowMs?: number;
  /** One window this late closes the gate by itself (ms; default four times `lagMs`). */
  hardLagMs?: number;
  now?: () => number;
  /** Reads the worst delay since the last read (ms) and starts a new window; tests give their own. */
  readLagMs?: () => number;
}

/** Windows in a row that must run late before the gate closes (unless one exceeds `hardLagMs`). */
export const LATE_WINDOWS_TO_CLOSE = 2;

/**
 * Admission by the hub's own health: heartbeats share the event loop with everything else, so a
 * loop running late means agents are about to be dropped for a missed pong. While the loop's
 * delay exceeds `lagMs` window after window, new publishes are refused with RATE_LIMITED and a
 * retry-after (the SDK waits and re-sends): the work queued so far drains, and nobody is dropped.
 *
 * One late window alone does not close the gate unless it exceeds `hardLagMs`: an isolated stall
 * (the thread descheduled on a busy machine, a garbage collection) is over by the time it is
 * read, and the heartbeat timeout is seconds long. Closing on it would turn a 200-ms hiccup into
 * a 200–500 ms retry-after for every publisher (bench/events.ts on PGlite at 5,000/s:
 * docs/benchmarks.md). Work that outruns the hub keeps the loop late window after window.
 */
export class LoadGate {
  private readonly histogram: IntervalHistogram;
  private readonly timer: ReturnType<typeof setInterval>;
  private overloadedUntil = 0;
  private lastOverloadAt = -Infinity;
  private lastLagMs = 0;
  private lateWindows = 0;
  refusals = 0;

  constructor(private readonly o: LoadGateOptions) {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram = histogram;
    histogram.enable();
    const windowMs = o.windowMs ?? 250;
    let lastRead = performance.now();
    const read =
      o.readLagMs ??
      (() => {
        // The histogram's reset also forgets its last tick. A stall that ends with this timer
        // running before the histogram's own is then recorded by neither (a 400 ms stall starting
        // up to ~10 ms before a read read as 10 ms), so this timer's own lateness counts too.
        const now = performance.now();
        const late = now - lastRead - windowMs;
        lastRead = now;
        const ms = Math.max(histogram.max / 1e6, late);
        histogram.reset();
        return ms;
      });
    const hardLagMs = o.hardLagMs ?? 4 * o.lagMs;
    this.timer = setInterval(() => {
      this.lastLagMs = read();
      if (!(this.lastLagMs > o.lagMs)) {
        this.lateWindows = 0;
        return;
      }
      // Late at all: a disconnect noticed about now may be the hub's fault (overloadedWithin).
      this.lastOverloadAt = this.now();
      this.lateWindows++;
      // Stay closed for one more window after the lag clears, so admission does not flap.
      if (this.lateWindows >= LATE_WINDOWS_TO_CLOSE || this.lastLagMs > hardLagMs) this.overloadedUntil = this.now() + 2 * windowMs;
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
