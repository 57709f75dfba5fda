import type { Clock, TimerHandle } from '../ports/clock.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';

export interface DegradationSettings {
  /** More than this many failures within `windowMs` enters degraded mode. */
  failures: number;
  windowMs: number;
  checkIntervalMs: number;
  /** Leave after this long in degraded mode with fewer than `recoverMaxFailures` failures in it. */
  recoverAfterMs: number;
  recoverMaxFailures: number;
  normalSessionLimit: number;
  degradedSessionLimit: number;
}

export interface DegradationState {
  degraded: boolean;
  reason: string | null;
  since: number | null;
  sessionLimit: number;
}

/**
 * Graceful degradation: a burst of agent failures pauses new sessions and lowers the session
 * limit; the periodic check lifts it on its own once failures have calmed down.
 */
export class DegradationController extends TypedEmitter<{ change: [DegradationState] }> {
  private failures: number[] = [];
  private state: DegradationState;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly s: DegradationSettings,
  ) {
    super();
    this.state = { degraded: false, reason: null, since: null, sessionLimit: s.normalSessionLimit };
  }

  start(): void {
    const tick = () => {
      this.check();
      this.timer = this.clock.setTimeout(tick, this.s.checkIntervalMs);
      this.timer.unref?.();
    };
    this.timer = this.clock.setTimeout(tick, this.s.checkIntervalMs);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  current(): DegradationState {
    return { ...this.state };
  }

  recordFailure(): void {
    const now = this.clock.now();
    this.failures.push(now);
    this.prune(now);
    const recent = this.failures.filter((t) => t > now - this.s.windowMs).length;
    if (!this.state.degraded && recent > this.s.failures) {
      this.set({
        degraded: true,
        reason: `${recent} agent failures within ${Math.round(this.s.windowMs / 1000)} s`,
        since: now,
        sessionLimit: this.s.degradedSessionLimit,
      });
    }
  }

  /** Leaves degraded mode once it has lasted `recoverAfterMs` and failures in that span are few. */
  check(): void {
    const now = this.clock.now();
    this.prune(now);
    if (!this.state.degraded || this.state.since === null) return;
    if (now - this.state.since < this.s.recoverAfterMs) return;
    const recent = this.failures.filter((t) => t > now - this.s.recoverAfterMs).length;
    if (recent < this.s.recoverMaxFailures) {
      this.set({ degraded: false, reason: null, since: null, sessionLimit: this.s.normalSessionLimit });
    }
  }

  private prune(now: number): void {
    const keep = Math.max(this.s.windowMs, this.s.recoverAfterMs);
    this.failures = this.failures.filter((t) => t > now - keep);
  }

  private set(next: DegradationState): void {
    this.state = next;
    this.emit('change', { ...next });
  }
}
