import type { Clock, TimerHandle } from '@agent-hub/core';
import type { PollReply } from './offset-scripts.ts';

/**
 * The committed watermark as announced by this node: monotonic, and always a value observed at
 * least one poll earlier. The lag is for live broadcasts: another node sends an event through
 * Redis pub/sub before committing it, so by the poll after the one that saw it committed, its
 * broadcast has reached this node, and no subscriber here can resume past an event it never got.
 */
export class LaggingWatermark {
  private announced = 0;
  private observed = 0;

  /** One successful poll: `candidate` is what it computed, or null while the watermark holds. */
  observe(candidate: number | null): void {
    this.announced = this.observed;
    if (candidate !== null && candidate > this.observed) this.observed = candidate;
  }

  get value(): number {
    return this.announced;
  }
}

export interface WatermarkPollerDeps {
  poll(): Promise<PollReply>;
  /** Polls only while this node's numbering is in step with Redis (not offline, not re-syncing). */
  online(): boolean;
  /** The highest counter value this node has seen. */
  seen(): number;
  /** A counter value seen by a poll. */
  onCounter(counter: number): void;
  /** Redis has lost its data since this node last synced with it. */
  onLost(): void;
  /** Another node noticed a loss first and started the grace period: re-add this node's ranges too. */
  onHoldBegins(): void;
  clock: Clock;
  intervalMs: number;
}

/**
 * Polls the lowest in-flight range and the counter: W = lowest − 1 if any range is in flight,
 * else the counter. While Redis is unreachable, lost or in its grace period, W stays put.
 */
export class WatermarkPoller {
  private readonly w = new LaggingWatermark();
  private timer: TimerHandle | undefined;
  private polling = false;
  private closed = false;
  private lastState: PollReply['state'] = 'ok';

  constructor(private readonly d: WatermarkPollerDeps) {}

  get value(): number {
    return this.w.value;
  }

  start(): void {
    if (this.closed) return;
    this.timer = this.d.clock.setTimeout(() => void this.pollOnce().finally(() => this.start()), this.d.intervalMs);
    this.timer.unref?.();
  }

  /** Never rejects. */
  async pollOnce(): Promise<void> {
    if (!this.d.online() || this.polling) return;
    this.polling = true;
    try {
      const p = await this.d.poll();
      if (!this.d.online()) return;
      if (p.state === 'lost' || p.counter < this.d.seen()) return this.d.onLost();
      if (p.state === 'hold' && this.lastState !== 'hold') this.d.onHoldBegins();
      this.lastState = p.state;
      this.d.onCounter(p.counter);
      this.w.observe(p.state === 'hold' ? null : p.lowest !== null ? p.lowest - 1 : p.counter);
    } catch {
      // Redis unreachable: the watermark stays where it was.
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
  }
}
