import type { HubEvent } from '@agent-hub/protocol';

/**
 * Collects streamed events and hands them over at most once per interval, so a busy hub costs the
 * page a handful of renders per second instead of one per event. Keeps only the newest `keep`.
 */
export class EventBatch {
  private pending: HubEvent[] = [];
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly flush: (newestFirst: HubEvent[], count: number) => void,
    private readonly intervalMs: number,
    private readonly keep: number,
  ) {}

  add(event: HubEvent): void {
    this.pending.push(event);
    this.count += 1;
    if (this.pending.length > this.keep) this.pending.shift();
    this.timer ??= setTimeout(() => this.drain(), this.intervalMs);
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.count = 0;
  }

  private drain(): void {
    const events = this.pending.reverse();
    const count = this.count;
    this.pending = [];
    this.count = 0;
    this.timer = null;
    this.flush(events, count);
  }
}
