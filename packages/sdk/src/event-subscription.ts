import type { HubEvent, SubscribeResult } from '@agent-hub/protocol';
import type { EventHandler } from './subscriptions.ts';

/** Events a subscription holds for its loop by default before delivery waits for the loop. */
export const DEFAULT_SUBSCRIPTION_BUFFER = 256;

export interface SubscriptionDeps {
  patterns: string[];
  bufferSize: number;
  /** Keeps the client from acking `offset` (and anything after it) until `unpin`. */
  pin(offset: number): void;
  unpin(offset: number): void;
  /** Removes this subscription's handler from the client (and the hub, if nothing else uses its patterns). */
  remove(handler: EventHandler): Promise<void>;
}

/**
 * A subscription as a handle: `for await (const e of sub)` takes its events in delivery order,
 * `unsubscribe()` (or leaving the loop: `break`, `return`, a throw) ends it.
 *
 * Slow consumers: up to `bufferSize` events wait for the loop; when the buffer is full, delivery
 * waits for the loop (as it waits for a slow handler), so no event is dropped, but the client's
 * other handlers wait too and events received meanwhile queue in memory. Acks: an event counts as
 * processed — its offset may be acked to the hub — only once the loop has taken it and asked for
 * the next one (or left the loop), so a process that dies mid-loop resumes at the first event its
 * loop did not finish (as far as its replay policy replays them: `full` for every event). Events
 * still buffered when the loop leaves or `unsubscribe()` runs are dropped and no longer hold the
 * ack back; when the client closes, they are not acked.
 *
 * @example
 * const sub = await client.subscription(['orders:#']);
 * for await (const e of sub) {
 *   await handle(e.payload);
 *   if (done) break; // unsubscribes
 * }
 */
export class EventSubscription implements AsyncIterable<HubEvent> {
  /** The hub's answer to the subscribe (replayed count, start offset, watermark). */
  result: SubscribeResult | null = null;
  private readonly buffer: HubEvent[] = [];
  /** The event the loop holds now: acked once it asks for the next one. */
  private taken: HubEvent | null = null;
  private readonly readers: Array<(r: IteratorResult<HubEvent>) => void> = [];
  private readonly space: Array<() => void> = [];
  private ended = false;
  private removal: Promise<void> | null = null;

  constructor(private readonly d: SubscriptionDeps) {}

  get patterns(): readonly string[] {
    return this.d.patterns;
  }

  /** Events waiting for the loop. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** True once unsubscribed (by `unsubscribe()`, by leaving the loop, or by the client closing). */
  get closed(): boolean {
    return this.ended;
  }

  /** The handler the client runs for this subscription's events (one at a time, in order). */
  readonly handler: EventHandler = async (e) => {
    while (!this.ended && this.readers.length === 0 && this.buffer.length >= this.d.bufferSize) {
      await new Promise<void>((r) => this.space.push(r));
    }
    if (this.ended) return;
    this.d.pin(e.offset);
    const reader = this.readers.shift();
    if (reader) return this.hand(e, reader);
    this.buffer.push(e);
  };

  /** Ends the subscription: the hub stops delivering its patterns (unless another handler uses them). */
  unsubscribe(): Promise<void> {
    this.end();
    this.removal ??= this.d.remove(this.handler);
    return this.removal;
  }

  /** The client closed: the loop ends after what it holds, nothing is sent to the hub. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    for (const e of this.buffer.splice(0)) this.d.unpin(e.offset);
    this.space.splice(0).forEach((r) => r());
    this.readers.splice(0).forEach((r) => r({ done: true, value: undefined }));
  }

  [Symbol.asyncIterator](): AsyncIterator<HubEvent> {
    return {
      next: () => {
        this.release();
        const e = this.buffer.shift();
        if (e) {
          this.space.shift()?.();
          return Promise.resolve(this.take(e));
        }
        if (this.ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.readers.push(resolve));
      },
      // `break`, `return` or a throw in the loop body.
      return: async () => {
        await this.unsubscribe();
        return { done: true, value: undefined };
      },
    };
  }

  private hand(e: HubEvent, reader: (r: IteratorResult<HubEvent>) => void): void {
    reader(this.take(e));
  }

  private take(e: HubEvent): IteratorResult<HubEvent> {
    this.taken = e;
    return { done: false, value: e };
  }

  /** The loop is done with the event it held: its offset may be acked. */
  private release(): void {
    if (!this.taken) return;
    this.d.unpin(this.taken.offset);
    this.taken = null;
  }
}
