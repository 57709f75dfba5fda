import { HubError, type PublishEvent, type PublishResult } from '@agent-hub/protocol';
import Queue from 'yocto-queue';
import type { PublishJournal } from './publish-journal.ts';
import { abortedError } from './abort.ts';

export interface PublishWindowOptions {
  /** Publishes sent and not yet durable at most; `publish()` waits for a slot beyond that. */
  capacity: number;
  /** A publish not durable by then rejects (ms). */
  deadlineMs: number;
  /** Sends one publish and resolves with the hub's ack (rejects with HubError). */
  send(p: PublishEvent): Promise<PublishResult>;
  /** Backoff before re-sending after a transient refusal (ms). */
  retryDelayMs?: number;
  /** Keeps unconfirmed publishes across process restarts (optional). */
  journal?: PublishJournal;
}

interface Entry {
  input: PublishEvent & { id: string };
  /**
   * A send may have reached a hub (no answer came, or it was accepted): any later send is a
   * re-send the hub checks against its log. A refusal (RATE_LIMITED …) proves it did not.
   */
  sent: boolean;
  /** The hub acked it `durable: false`: it is queued there and a notice will follow. */
  accepted: PublishResult | null;
  /** Bumped on every send; answers to an older send are ignored. */
  attempt: number;
  resolve(r: PublishResult): void;
  reject(err: unknown): void;
  /** Epoch ms after which it is given up. */
  deadline: number;
  /** Stops listening to the caller's AbortSignal (once settled). */
  unlisten?: () => void;
}

/** A `publish()` waiting for a slot; one whose signal aborted has given up its place. */
interface Waiter {
  wake(): void;
  gaveUp?: boolean;
}

/** Codes after which the same publish may succeed later: it stays in the window and is re-sent. */
const TRANSIENT = new Set([
  'REQUEST_TIMEOUT',
  'STORE_UNAVAILABLE',
  'HUB_SHUTTING_DOWN',
  'AGENT_NOT_REGISTERED',
  'RATE_LIMITED',
  'HUB_DEGRADED',
]);
/** Of those, the hub's refusals: it answered, so it did not take the event. */
const REFUSED = new Set(['HUB_SHUTTING_DOWN', 'AGENT_NOT_REGISTERED', 'RATE_LIMITED', 'HUB_DEGRADED', 'STORE_UNAVAILABLE']);

/**
 * The publisher's side of at-least-once: every publish keeps its id and stays here until the hub
 * says it is durable — by its ack, or later by an `event:durable` notice when the store was down.
 * A connection that drops loses no publish: after the agent registers again, everything still
 * here is re-sent with the same ids, in the original order, before anything new (the hub answers
 * a re-send it already has as a duplicate with the original offset). The window is bounded:
 * `publish()` waits for a slot, which is how the hub's backpressure reaches the caller.
 */
export class PublishWindow {
  private readonly entries = new Map<string, Entry>();
  /**
   * Oldest first. A queue, not an array: a burst past the window leaves thousands waiting, and an
   * array's `shift()` per settled publish copies all of them (~10 µs each at 20,000 waiting).
   */
  private readonly waiting = new Queue<Waiter>();
  private open = false;
  private closing = false;
  /** One sweep for every deadline (a timer per publish costs too much at 10k/s). */
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly o: PublishWindowOptions) {}

  /** Publishes in the window (sent or waiting to be), for metrics and tests. */
  get depth(): number {
    return this.entries.size;
  }

  /**
   * `signal`: an abort while waiting for a slot, or before the publish was sent, rejects with
   * ABORTED and the hub never sees it. After it was sent, the abort still rejects at once, frees
   * the slot and stops re-sends, but the hub may have taken the event (publish the same id again
   * to learn: a duplicate answer carries its offset).
   */
  publish(input: PublishEvent & { id: string }, signal?: AbortSignal): Promise<PublishResult> {
    if (signal?.aborted) return Promise.reject(abortedError('event:publish', signal));
    if (this.entries.size >= this.o.capacity) return this.waitForSlot(signal).then(() => this.publish(input, signal));
    if (this.entries.has(input.id)) return Promise.reject(new HubError('VALIDATION_FAILED', `id "${input.id}" is already being published`));
    return new Promise<PublishResult>((resolve, reject) => {
      const entry: Entry = { input, sent: false, accepted: null, attempt: 0, resolve, reject, deadline: Date.now() + this.o.deadlineMs };
      if (signal) {
        const abort = () => this.entries.get(input.id) === entry && this.fail(entry, abortedError('event:publish', signal));
        signal.addEventListener('abort', abort, { once: true });
        entry.unlisten = () => signal.removeEventListener('abort', abort);
      }
      this.entries.set(input.id, entry);
      this.o.journal?.add(input);
      this.sweep();
      if (this.open) this.send(entry);
    });
  }

  private waitForSlot(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!signal) return void this.waiting.enqueue({ wake: resolve });
      const waiter: Waiter = {
        wake: () => {
          signal.removeEventListener('abort', abort);
          resolve();
        },
      };
      const abort = () => {
        // Gives up its place in the queue; the slot goes to the next waiter as usual.
        waiter.gaveUp = true;
        reject(abortedError('event:publish', signal));
      };
      signal.addEventListener('abort', abort, { once: true });
      this.waiting.enqueue(waiter);
    });
  }

  /**
   * Publishes an earlier run journaled and never heard were durable: re-sent (as re-sends, so the
   * hub's log dedupes them) ahead of anything new. Nobody awaits them; `onSettled` reports each.
   */
  restore(inputs: PublishEvent[], onSettled: (id: string, outcome: PublishResult | Error) => void): void {
    for (const p of inputs) {
      if (!p.id || this.entries.has(p.id)) continue;
      const id = p.id;
      const entry: Entry = {
        input: { ...p, id },
        sent: true,
        accepted: null,
        attempt: 0,
        resolve: (r) => onSettled(id, r),
        reject: (err) => onSettled(id, err instanceof Error ? err : new Error(String(err))),
        deadline: Date.now() + this.o.deadlineMs,
      };
      this.entries.set(id, entry);
      this.sweep();
      if (this.open) this.send(entry);
    }
  }

  /** The agent is registered (again): re-send everything not durable yet, oldest first, then go on. */
  resume(): void {
    this.open = true;
    for (const e of this.entries.values()) this.send(e);
  }

  /** The connection dropped: hold new publishes until `resume()`. */
  pause(): void {
    this.open = false;
  }

  /** The hub's `event:durable` notice. */
  durable(ids: string[]): void {
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e) this.settle(e, { ...(e.accepted ?? { id, offset: 0, duplicate: false }), durable: true });
    }
  }

  /** Rejects everything left (the client is closing); a journal keeps them for the next run. */
  close(err: HubError): void {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const e of [...this.entries.values()]) this.fail(e, err);
    this.open = false;
  }

  private send(e: Entry): void {
    const attempt = ++e.attempt;
    const input = e.sent ? { ...e.input, retry: true } : e.input;
    const wasSent = e.sent;
    e.sent = true;
    this.o.send(input).then(
      (r) => {
        if (attempt !== e.attempt || !this.entries.has(e.input.id)) return;
        if (r.durable) this.settle(e, r);
        else e.accepted = r;
      },
      (err: unknown) => {
        if (attempt !== e.attempt || !this.entries.has(e.input.id)) return;
        const code = err instanceof HubError ? err.code : 'INTERNAL';
        if (!TRANSIENT.has(code)) return this.fail(e, err);
        if (REFUSED.has(code)) e.sent = wasSent;
        // Disconnected: `resume()` re-sends it. Still connected (a slow hub, a refusal): retry here.
        const wait = code === 'RATE_LIMITED' ? retryAfter(err) : (this.o.retryDelayMs ?? 500);
        setTimeout(() => this.open && this.entries.has(e.input.id) && attempt === e.attempt && this.send(e), wait).unref?.();
      },
    );
  }

  /** Runs while anything is in the window; entries are in publish order, so the oldest come first. */
  private sweep(): void {
    if (this.sweeper || this.closing) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.o.deadlineMs / 4)));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const e of this.entries.values()) {
        if (e.deadline > now) break;
        this.expire(e);
      }
      if (this.entries.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    }, every);
    this.sweeper.unref?.();
  }

  private expire(e: Entry): void {
    const ms = this.o.deadlineMs;
    this.fail(
      e,
      e.accepted
        ? new HubError(
            'STORE_UNAVAILABLE',
            `event ${e.input.id} was accepted (offset ${e.accepted.offset}) but not durable within ${ms} ms; the hub keeps it queued`,
            { id: e.input.id, offset: e.accepted.offset },
          )
        : new HubError('REQUEST_TIMEOUT', `event ${e.input.id} was not acknowledged within ${ms} ms`, { id: e.input.id }),
    );
  }

  private settle(e: Entry, r: PublishResult): void {
    this.remove(e);
    e.resolve(r);
  }

  private fail(e: Entry, err: unknown): void {
    this.remove(e);
    e.reject(err);
  }

  private remove(e: Entry): void {
    e.unlisten?.();
    this.entries.delete(e.input.id);
    if (!this.closing) this.o.journal?.remove(e.input.id);
    for (let w = this.waiting.dequeue(); w; w = this.waiting.dequeue()) if (!w.gaveUp) return w.wake();
  }
}

function retryAfter(err: unknown): number {
  const d = (err as HubError).details as { retryAfterMs?: unknown } | undefined;
  return typeof d?.retryAfterMs === 'number' && d.retryAfterMs > 0 ? Math.min(d.retryAfterMs, 30_000) : 1000;
}
