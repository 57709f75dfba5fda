import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { SessionStore } from '../ports/store.ts';

export interface LifecycleSettings {
  idleAfterMs: number;
  expireAfterMs: number;
  /** Expired sessions are purged this long after their last activity. */
  retentionMs: number;
  intervalMs: number;
}

/** Background sweep: active → idle → expired, then purge past retention. */
export class LifecycleSweeper {
  private timer: TimerHandle | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
    private readonly settings: LifecycleSettings,
    private readonly log: Logger,
    private readonly onChanged: (ids: string[]) => void = () => {},
  ) {}

  start(): void {
    this.schedule();
  }

  async sweepNow(): Promise<{ idled: string[]; expired: string[]; purged: number }> {
    const now = this.clock.now();
    const s = this.settings;
    const { idled, expired } = await this.store.sweepSessions(now - s.idleAfterMs, now - s.expireAfterMs, now);
    const purged = await this.store.purgeExpired(now - s.retentionMs);
    if (idled.length || expired.length || purged) {
      this.log.info({ idled: idled.length, expired: expired.length, purged }, 'session lifecycle sweep');
      this.onChanged([...idled, ...expired]);
    }
    return { idled, expired, purged };
  }

  async close(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.running = this.sweepNow()
        .catch((err) => this.log.warn({ err: String(err) }, 'session sweep failed; will retry'))
        .finally(() => {
          this.running = null;
          if (this.timer) this.schedule();
        });
    }, this.settings.intervalMs);
    this.timer.unref?.();
  }
}
