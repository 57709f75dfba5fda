import { HubError, type Ack, type PublishEvent, type PublishResult } from '@agent-hub/protocol';

export interface PublishBatcherOptions {
  /** Sends one publish (`event:publish`) and resolves with its ack's data. */
  single(p: PublishEvent): Promise<PublishResult>;
  /** Sends several (`event:publish-batch`) and resolves with their answers, in order. */
  batch(events: PublishEvent[]): Promise<Array<Ack<PublishResult>>>;
}

/**
 * A batch is at most this many bytes of JSON, by an estimate that never undercounts. The hub's
 * hard frame cap is 4x its SOCKET_MAX_PAYLOAD_BYTES, which cannot be set below 1,024: a batch
 * this small (with its ~60-byte envelope) never closes the connection, whatever the hub's setting; above
 * the hub's soft limit it is refused with PAYLOAD_TOO_LARGE and its events go one by one.
 */
const BATCH_BYTES = 4000;
/** An event whose estimate is above this is sent alone. */
const EVENT_BYTES = 1024;
/** Most events in one batch. */
const BATCH_EVENTS = 100;
/** Refusals of a whole batch after which its events are sent one by one: each gets its own verdict. */
const SEND_SINGLY = new Set(['NOT_FOUND', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE']);

interface Pending {
  input: PublishEvent;
  resolve(r: PublishResult): void;
  reject(err: unknown): void;
}

/**
 * Publishes made in the same turn of the event loop (a burst, or the re-sends after a reconnect)
 * go to the hub as one `event:publish-batch` instead of one `event:publish` each: one frame and
 * one ack for the lot, where each publish cost the publisher and the hub a frame, an ack and a
 * timer. Only small events are batched, and never more than BATCH_BYTES; a lone publish goes out
 * as `event:publish`, at once. A hub that does not know batches (an older node, answering
 * NOT_FOUND) gets single publishes until the next connection.
 */
export class PublishBatcher {
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  private supported = true;

  constructor(private readonly o: PublishBatcherOptions) {}

  /** A new connection, maybe to another node: try batches again. */
  reset(): void {
    this.supported = true;
  }

  send(input: PublishEvent): Promise<PublishResult> {
    const bytes = this.supported ? estimateBytes(input, EVENT_BYTES) : Infinity;
    if (bytes > EVENT_BYTES) {
      // What was published before it goes first.
      this.flush();
      return this.o.single(input);
    }
    if (this.pendingBytes + bytes > BATCH_BYTES || this.pending.length >= BATCH_EVENTS) this.flush();
    return new Promise<PublishResult>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.pendingBytes += bytes;
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const items = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (items.length === 0) return;
    if (items.length === 1 || !this.supported) return items.forEach((p) => this.sendSingly(p));
    this.o.batch(items.map((p) => p.input)).then(
      (results) => {
        items.forEach((p, i) => {
          const r = results[i];
          if (r?.ok === true) p.resolve(r.data);
          else if (r?.ok === false) p.reject(HubError.fromBody(r.error));
          else p.reject(new HubError('INTERNAL', `the hub answered ${results.length} of a batch of ${items.length} publishes`));
        });
      },
      (err: unknown) => {
        const code = err instanceof HubError ? err.code : 'INTERNAL';
        if (!SEND_SINGLY.has(code)) return items.forEach((p) => p.reject(err));
        // An older hub: single publishes from now on. What was batched meanwhile may reach it
        // before these, as after any re-send (subscribers order by offset, not by publish call).
        if (code === 'NOT_FOUND') this.supported = false;
        items.forEach((p) => this.sendSingly(p));
      },
    );
  }

  private sendSingly(p: Pending): void {
    this.o.single(p.input).then(p.resolve, p.reject);
  }
}

/**
 * An upper bound of a publish's size as JSON, or Infinity once it passes `limit`: cheap for the
 * small events worth batching, and bounded work for large ones. A string of printable ASCII
 * without quotes or backslashes is its length; any other counts 6 bytes a character (the
 * longest escape, more than any UTF-8 sequence per UTF-16 unit).
 */
export function estimateBytes(input: PublishEvent, limit: number): number {
  let bytes = 64 + str(input.topic) + (input.id === undefined ? 0 : str(input.id));
  const stack: unknown[] = [input.payload];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += str(v);
    else if (v === null || typeof v !== 'object') bytes += 24;
    else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      // A Date is its ISO string; anything else with toJSON could be anything.
      if (!(v instanceof Date)) return Infinity;
      bytes += 32;
    } else if (Array.isArray(v)) {
      bytes += 2 + v.length;
      for (const c of v) stack.push(c);
    } else {
      bytes += 2;
      for (const k in v) {
        bytes += str(k) + 2;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
    if (bytes > limit) return Infinity;
  }
  return bytes;
}

const NEEDS_CARE = /[^\x20-\x7e]|["\\]/;

function str(s: string): number {
  return (NEEDS_CARE.test(s) ? s.length * 6 : s.length) + 2;
}
