import type { HubEvent } from '@agent-hub/protocol';
import type { ProcessedRegistry } from './processed-registry.ts';
import type { EventHandler, Subscriptions } from './subscriptions.ts';

export interface DeliveryDeps {
  subs: Subscriptions;
  processed: ProcessedRegistry;
  attempts: number;
  backoffMs: number;
  initialOffset: number | null;
  ack(offset: number, latencies: number[]): unknown;
  deadLetter(e: HubEvent, attempts: number, error: string): unknown;
  onError(err: unknown): void;
}

const ACK_EVERY = 100;
const ACK_DELAY_MS = 20;

/**
 * Runs handlers for received events one at a time, in arrival order: skips ids already processed,
 * retries a failing handler with backoff, dead-letters it after the last attempt, and acks the
 * highest processed offset (batched) so the hub knows where a reconnect should resume.
 */
export class DeliveryQueue {
  lastOffset: number | null;
  /** Events given up on (dead-lettered) so far. */
  failedCount = 0;
  /** Replayed events that were new here (ids already processed are not counted). */
  replayedCount = 0;
  private readonly replayed = new WeakSet<HubEvent>();
  private queue: HubEvent[] = [];
  private held: HubEvent[] = [];
  private holds = 0;
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private unacked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private latencies: number[] = [];

  constructor(private readonly d: DeliveryDeps) {
    this.lastOffset = d.initialOffset;
  }

  /** `live`: delivered as published (replayed events would report their age, not a latency). */
  push(e: HubEvent, live = true): void {
    // Publish-to-receipt latency, reported with the next ack (bounded sample).
    if (live && this.latencies.length < 200) this.latencies.push(Math.max(0, Date.now() - Date.parse(e.ts)));
    if (!live) this.replayed.add(e);
    if (this.holds > 0) this.held.push(e);
    else this.queue.push(e);
    void this.pump();
  }

  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0) return;
    this.held.sort((a, b) => a.offset - b.offset);
    this.queue.push(...this.held);
    this.held = [];
    void this.pump();
  }

  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0 && this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  flushAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.unacked > 0 && this.lastOffset !== null) this.d.ack(this.lastOffset, this.latencies);
    this.unacked = 0;
    this.latencies = [];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const e = this.queue.shift()!;
        if (!this.d.processed.has(e.id)) {
          if (this.replayed.has(e)) this.replayedCount++;
          for (const h of this.d.subs.handlersFor(e.topic)) await this.runHandler(h, e);
          this.d.processed.add(e.id);
        }
        this.advance(e.offset);
      }
    } finally {
      this.running = false;
      if (this.held.length === 0) this.idleWaiters.splice(0).forEach((r) => r());
    }
  }

  private async runHandler(h: EventHandler, e: HubEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await h(e);
        return;
      } catch (err) {
        if (attempt >= this.d.attempts) {
          this.failedCount++;
          this.d.deadLetter(e, attempt, err instanceof Error ? err.message : String(err));
          this.d.onError(err);
          return;
        }
        await new Promise((r) => setTimeout(r, this.d.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private advance(offset: number): void {
    if (this.lastOffset !== null && offset <= this.lastOffset) return;
    this.lastOffset = offset;
    if (++this.unacked >= ACK_EVERY) return this.flushAck();
    this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }
}
