/**
 * A piece of upkeep a PostgreSQL server's background processes would do, run by the PGlite store
 * on a timer instead (PGlite's single-user backend has none): `work()` on every tick, one at a
 * time, on the store's one connection. A failure (a database closing under the tick, say) is kept
 * in `lastError` and the next tick tries again: the store reports its own failures to its callers.
 * Ticks are timers of the store's thread. In the store's worker every call arrives as a message, so
 * they run between calls; a caller that chains queries on the same thread without ever yielding to
 * the event loop would hold them off.
 */
export abstract class UpkeepTask {
  /** The last failure; null once a tick succeeded. */
  lastError: unknown = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly everyMs: number) {}

  /** One tick's work: look whether the upkeep is due, and do it if so. */
  protected abstract work(): Promise<void>;

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.everyMs);
    // Never what keeps a process (or the store's worker) alive.
    this.timer.unref?.();
  }

  /** Stops the ticks; resolves once the work in progress has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs a tick now (the timer calls this); a tick already running is joined, not doubled. */
  check(): Promise<void> {
    this.running ??= this.tick().finally(() => (this.running = null));
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.work();
      this.lastError = null;
    } catch (err) {
      this.lastError = err;
    }
  }
}
