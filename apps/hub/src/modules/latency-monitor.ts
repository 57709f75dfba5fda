import type { Logger } from '@agent-hub/core';

/**
 * Keeps a minute-by-minute window of propagation latency samples and raises a CRITICAL log when
 * p95 has stayed above the threshold for every minute of the window (default 10 ms over 5 min).
 */
export class LatencyMonitor {
  private minutes: number[][] = [[]];
  private alerting = false;

  constructor(
    private readonly log: Logger,
    private readonly thresholdMs = 10,
    private readonly windowMinutes = 5,
  ) {}

  observe(ms: number): void {
    const current = this.minutes[this.minutes.length - 1]!;
    if (current.length < 10_000) current.push(ms);
  }

  /** Called once a minute. */
  tick(): void {
    const p95s = this.minutes.filter((m) => m.length > 0).map(p95);
    const full = this.minutes.length >= this.windowMinutes && p95s.length >= this.windowMinutes;
    const breach = full && p95s.every((v) => v > this.thresholdMs);
    if (breach && !this.alerting) {
      this.log.fatal(
        { p95s, thresholdMs: this.thresholdMs },
        `CRITICAL: event propagation p95 above ${this.thresholdMs} ms for ${this.windowMinutes} minutes`,
      );
    }
    if (!breach && this.alerting) this.log.info({ p95s }, 'event propagation latency back under threshold');
    this.alerting = breach;
    this.minutes.push([]);
    if (this.minutes.length > this.windowMinutes) this.minutes.shift();
  }

  get isAlerting(): boolean {
    return this.alerting;
  }
}

export function p95(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? 0;
}
