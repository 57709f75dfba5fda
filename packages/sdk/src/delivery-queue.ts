import type { HubEvent } from '@agent-hub/protocol';
import Queue from 'yocto-queue';
import type { ProcessedRegistry } from './processed-registry.ts';
import type { EventHandler, Subscriptions } from './subscriptions.ts';

export interface DeliveryDeps {
  subs: Subscriptions;
  processed: ProcessedRegistry;
  attempts: number;
  backoffMs: number;
  initialOffset: number | null;
  ack(offset: number, latencies: number[]): unknown;
  /** Reports the event given up on; resolves with the hub's dead letter (undefined if not recorded). */
  deadLetter(e: HubEvent, attempts: number, error: string): Promise<{ id: string } | undefined>;
  onError(err: unknown): void;
}

const ACK_EVERY = 100;
const ACK_DELAY_MS = 20;
/** Dead letters whose handler is remembered for an operator's retry (oldest forgotten first). */
const FAILED_HANDLERS_KEPT = 1000;

/** An operator's retry of a dead letter: these handlers run again, past the processed-id check. */
interface Redelivered {
  redelivery: true;
  event: HubEvent;
  handlers: EventHandler[];
}

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
  /**
   * A queue, not an array: a replay or a slow handler leaves thousands here, and an array's
   * `shift()` per event copies all the rest.
   */
  private readonly queue = new Queue<HubEvent | Redelivered>();
  /** Dead letter id → the handler that gave up, so a retry re-runs it and not the ones that succeeded. */
  private readonly failedHandlers = new Map<string, EventHandler>();
  private held: HubEvent[] = [];
  private holds = 0;
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private unacked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private latencies: number[] = [];
  /** Offsets handed to a subscription's loop and not finished there: acks stay below the lowest. */
  private readonly pins = new Map<number, number>();

  constructor(private readonly d: DeliveryDeps) {
    this.lastOffset = d.initialOffset;
  }

  /** `live`: delivered as published (replayed events would report their age, not a latency). */
  push(e: HubEvent, live = true): void {
    this.pushOne(e, live);
    void this.pump();
  }

  /**
   * An `events` message: a replay page while a subscribe is in flight (replayed events arrive
   * before its ack), or live events the hub sent together (several published in one go).
   */
  pushMany(events: HubEvent[]): void {
    const live = this.holds === 0;
    for (const e of events) this.pushOne(e, live);
    void this.pump();
  }

  private pushOne(e: HubEvent, live: boolean): void {
    // Publish-to-receipt latency, reported with the next ack (bounded sample).
    if (live && this.latencies.length < 200) this.latencies.push(Math.max(0, Date.now() - Date.parse(e.ts)));
    if (!live) this.replayed.add(e);
    if (this.holds > 0) this.held.push(e);
    else this.queue.enqueue(e);
  }

  /**
   * Runs an event that was dead-lettered here again, although its id is processed: the handler
   * that gave up on it under `deadLetterId` (every handler of its topic if this process does not
   * know which — after a restart — or that handler is unsubscribed), with the usual retries and
   * dead-lettering. Returns how many handlers will run. Not held by a subscribe in progress, and
   * never moves the acked offset.
   */
  redeliver(e: HubEvent, deadLetterId: string): number {
    const current = this.d.subs.handlersFor(e.topic);
    const failed = this.failedHandlers.get(deadLetterId);
    const handlers = failed && current.includes(failed) ? [failed] : current;
    if (handlers.length === 0) return 0;
    this.queue.enqueue({ redelivery: true, event: e, handlers });
    void this.pump();
    return handlers.length;
  }

  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0) return;
    this.held.sort((a, b) => a.offset - b.offset);
    for (const e of this.held) this.queue.enqueue(e);
    this.held = [];
    void this.pump();
  }

  idle(): Promise<void> {
    if (!this.running && this.queue.size === 0 && this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The offset that may be acked: the highest processed, but below any event a subscription's
   * loop has not finished yet (a process dying mid-loop then resumes at that event).
   */
  get ackableOffset(): number | null {
    if (this.lastOffset === null || this.pins.size === 0) return this.lastOffset;
    return Math.min(this.lastOffset, Math.min(...this.pins.keys()) - 1);
  }

  /** Holds acks below `offset` until `unpin(offset)` (an event waiting in, or held by, a subscription's loop). */
  pin(offset: number): void {
    this.pins.set(offset, (this.pins.get(offset) ?? 0) + 1);
  }

  unpin(offset: number): void {
    const n = this.pins.get(offset);
    if (n === undefined) return;
    if (n > 1) this.pins.set(offset, n - 1);
    else this.pins.delete(offset);
    // The ack may move now; batched like any other.
    this.unacked++;
    this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }

  flushAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const offset = this.ackableOffset;
    if (this.unacked > 0 && offset !== null) this.d.ack(offset, this.latencies);
    this.unacked = 0;
    this.latencies = [];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.queue.dequeue(); item; item = this.queue.dequeue()) {
        if ('redelivery' in item) {
          for (const h of item.handlers) await this.runHandler(h, item.event);
          continue;
        }
        const e = item;
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
          // Detached: the queue moves on; the letter's id only matters to a later operator retry.
          void this.d.deadLetter(e, attempt, err instanceof Error ? err.message : String(err)).then(
            (d) => d && this.rememberFailed(d.id, h),
            () => undefined,
          );
          this.d.onError(err);
          return;
        }
        await new Promise((r) => setTimeout(r, this.d.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private rememberFailed(deadLetterId: string, h: EventHandler): void {
    this.failedHandlers.set(deadLetterId, h);
    if (this.failedHandlers.size > FAILED_HANDLERS_KEPT) this.failedHandlers.delete(this.failedHandlers.keys().next().value as string);
  }

  private advance(offset: number): void {
    if (this.lastOffset !== null && offset <= this.lastOffset) return;
    this.lastOffset = offset;
    if (++this.unacked >= ACK_EVERY) return this.flushAck();
    this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }
}
