import type { Clock, TimerHandle } from '@agent-hub/core';

export interface InflightRemovalsDeps {
  clock: Clock;
  delayMs: number;
  /** False while this node is not in step with Redis: the next sync replaces its entries anyway. */
  canSend(): boolean;
  send(members: string[]): Promise<unknown>;
  /** A lost removal would pin the watermark: the caller re-syncs, which puts it right. */
  onFailure(): void;
}

/**
 * In-flight entries of settled ranges waiting to be removed: one ZREM per delay, not one per
 * range. Entries queued while this node cannot send wait for the sync, which drops them (`clear`)
 * when it replaces all of this node's entries.
 */
export class InflightRemovals {
  private readonly members = new Set<string>();
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly d: InflightRemovalsDeps) {}

  add(member: string): void {
    this.members.add(member);
    this.schedule();
  }

  /** Sends what is queued after the delay (also called once a sync is done). */
  schedule(): void {
    if (this.closed || this.members.size === 0) return;
    this.timer ??= this.d.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.d.delayMs);
  }

  clear(): void {
    this.members.clear();
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    if (this.closed || this.members.size === 0 || !this.d.canSend()) return;
    const members = [...this.members];
    this.members.clear();
    try {
      await this.d.send(members);
    } catch {
      this.d.onFailure();
    }
  }
}
