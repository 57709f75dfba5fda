import { HubError, type HubEvent } from '@agent-hub/protocol';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { EventLog } from '../ports/store.ts';
import type { Logger } from '../ports/logger.ts';
import { settleWithin } from '../store-outage/deadline.ts';
import { RecoveryProbe, type RecoveryProbeSettings } from '../store-outage/recovery-probe.ts';
import { jitteredDelay } from '../store-outage/retry-backoff.ts';

interface Pending {
  event: HubEvent;
  /** When it was queued (clock ms): its batch goes at the latest `delayMs` after its oldest event. */
  at: number;
  /** Called once, with the first answer: `true` at its commit, or `false` once the store is down. */
  settle: (durable: boolean) => void;
  /** Its publisher was already answered `durable: false`; `lateDurable` tells it once it commits. */
  toldNotDurable: boolean;
}

export interface BatcherHooks {
  onStoreState?: (down: boolean, failures: number) => void;
  /**
   * A batch is committed; `late` are the events whose publishers were told `durable: false`, `ms`
   * how long the store took to commit it.
   */
  onCommitted?: (events: HubEvent[], late: HubEvent[], ms: number) => void;
  /** Events that will never be committed (the store stayed down through shutdown). */
  onGivenUp?: (events: HubEvent[]) => void;
}

/**
 * Retry schedule for the log while the store is down: about 1 s, 5 s, 30 s, then every 30 s (each
 * ±50%, see `jitteredDelay`). With a probe, the store's return starts the flush sooner.
 */
export const STORE_RETRY_MS = [1000, 5000, 30_000];
/** A commit the store leaves unanswered while it answers pings is waited for this many more probe timeouts. */
export const BUSY_WAIT_FACTOR = 8;

export interface BatcherOptions {
  max: number;
  delayMs: number;
  /**
   * Pings the store while it is down, to flush as soon as it answers (`Store.ping`). With
   * `boundedWait` (network stores), a commit unanswered for `timeoutMs` while a ping goes
   * unanswered as long too means a silent store: publishers are told `durable: false` then,
   * not when the driver gives up on its connection (seconds later).
   */
  probe?: RecoveryProbeSettings & { ping: () => Promise<void>; boundedWait?: boolean };
  random?: () => number;
}

/**
 * Group commit for the event log: events accumulate for at most `delayMs` (or `max` events) and
 * go to the store in one statement. One commit runs at a time, and the events queued while it
 * runs form the next batch, which waits out the rest of its own `delayMs` too (counted from its
 * oldest event) unless it is full. Committing them the moment the previous commit ended kept the
 * store committing back to back at any rate above one event per commit time, each commit a
 * handful of events: a hub at 500 events/s used as much CPU as one at 5,000/s. Each publisher
 * learns whether its event became durable. While the store is down, events stay queued in order
 * and are retried on the schedule above; their publishers are told `durable: false` at once
 * instead of waiting.
 */
export class EventBatcher {
  private queue: Pending[] = [];
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private retryTimer: TimerHandle | null = null;
  private readonly probe: RecoveryProbe | null;
  /** A commit is in flight that neither the store nor a ping has answered in time. */
  private silent = false;

  constructor(
    private readonly log: EventLog,
    private readonly clock: Clock,
    private readonly opts: BatcherOptions,
    private readonly logger: Logger,
    private readonly hooks: BatcherHooks = {},
  ) {
    const p = opts.probe;
    this.probe = p ? new RecoveryProbe(p.ping, clock, p, () => this.retryNow(), opts.random) : null;
  }

  /** Queues an event; resolves with whether it is durable, the first time that is known. */
  add(event: HubEvent): Promise<boolean> {
    return new Promise((settle) => this.enqueue(event, settle));
  }

  /**
   * Queues an event without a promise of its own (the bus makes the one its publisher waits on).
   * `settle` is called once, with the first answer (see `Pending`); an event told `false` that
   * commits after all is reported to `onCommitted` among the late ones, not settled again.
   */
  enqueue(event: HubEvent, settle: (durable: boolean) => void): void {
    const p: Pending = { event, at: this.clock.now(), settle, toldNotDurable: false };
    this.queue.push(p);
    if (this.failures > 0 || this.silent) {
      p.toldNotDurable = true;
      return settle(false);
    }
    if (this.queue.length >= this.opts.max) void this.flush();
    else this.timer ??= this.clock.setTimeout(() => void this.flush(), this.opts.delayMs);
  }

  /** Events accepted but not yet committed, in offset order (replay must include them). */
  pending(): HubEvent[] {
    return this.queue.map((p) => p.event);
  }

  /** The lowest offset accepted but not committed yet (the committed watermark is just below it). */
  lowestPending(): number | undefined {
    return this.queue[0]?.event.offset;
  }

  get storeDown(): boolean {
    return this.failures > 0 || this.silent;
  }

  /** Commits what is queued once its batch is due; `now` commits it without waiting (shutdown). */
  async flush(now = false): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing) return this.flushing.then(() => (this.queue.length ? this.flush(now) : undefined));
    if (this.queue.length === 0) return;
    this.flushing = this.commit(now).finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Flushes everything; gives up (leaving the queue) only if the store stays down. */
  async close(): Promise<void> {
    this.probe?.stop();
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flush(true);
    if (this.queue.length) {
      this.logger.fatal({ lost: this.queue.length }, 'CRITICAL: event log unreachable at shutdown; queued events not persisted');
      const lost = this.queue.splice(0);
      for (const p of lost) if (!p.toldNotDurable) p.settle(false);
      this.hooks.onGivenUp?.(lost.map((p) => p.event));
    }
  }

  private async commit(now: boolean): Promise<void> {
    while (this.queue.length) {
      // Not full yet: the batch fills until its oldest event has waited `delayMs` (a retry after
      // a store failure goes at once: those events waited long enough).
      const due = this.queue[0]!.at + this.opts.delayMs - this.clock.now();
      if (!now && due > 0 && this.queue.length < this.opts.max && this.failures === 0) {
        this.timer ??= this.clock.setTimeout(() => void this.flush(), due);
        return;
      }
      const batch = this.queue.slice(0, this.opts.max);
      const started = performance.now();
      const appended = this.log.appendEvents(batch.map((p) => p.event));
      const watching = this.watchForSilence(appended);
      try {
        await appended;
      } catch (err) {
        this.silent = false;
        this.onFailure(err);
        return;
      } finally {
        watching.cancel();
      }
      this.queue.splice(0, batch.length);
      for (const p of batch) if (!p.toldNotDurable) p.settle(true);
      this.hooks.onCommitted?.(
        batch.map((p) => p.event),
        batch.filter((p) => p.toldNotDurable).map((p) => p.event),
        performance.now() - started,
      );
      if (this.failures || this.silent) {
        this.logger.info({ after: this.failures }, 'event log reachable again; queue drained');
        this.failures = 0;
        this.silent = false;
        this.probe?.stop();
        this.hooks.onStoreState?.(false, 0);
      }
    }
  }

  /**
   * A silent store (packets dropped) fails a commit only when its driver gives up on the
   * connection, seconds later. Once a commit has gone unanswered for the probe's `timeoutMs` and
   * a ping has too, the store counts as down for the publishers: those waiting and those still to
   * come are told `durable: false` at once (and `event:durable` once their events commit), as for
   * a store that refuses. A store that answers the ping is only busy, and is waited for, up to
   * `BUSY_WAIT_FACTOR` more `timeoutMs`: a commit sent on a connection opened during a partition
   * can hang until the driver's connect timeout (10 s) while the store answers pings on another,
   * and publishers must not wait that long (the SDK's own timeout is 10 s).
   */
  private watchForSilence(appended: Promise<unknown>): { cancel(): void } {
    const p = this.opts.probe;
    if (!p?.boundedWait) return { cancel: () => undefined };
    let cancelled = false;
    void (async () => {
      const first = await settleWithin(this.clock, p.timeoutMs, appended).catch(() => ({ settled: true }));
      if (first.settled || cancelled) return;
      const ping = await settleWithin(this.clock, p.timeoutMs, p.ping()).catch(() => ({ settled: false }));
      if (cancelled) return;
      let reason = 'event log not answering; publishers told durable: false';
      if (ping.settled) {
        const busy = await settleWithin(this.clock, BUSY_WAIT_FACTOR * p.timeoutMs, appended).catch(() => ({ settled: true }));
        if (busy.settled || cancelled) return;
        reason = 'event log commit unanswered although the store answers pings; publishers told durable: false';
      }
      this.silent = true;
      this.logger.warn({ queued: this.queue.length }, reason);
      this.hooks.onStoreState?.(true, this.failures);
      for (const q of this.queue) {
        if (q.toldNotDurable) continue;
        q.toldNotDurable = true;
        q.settle(false);
      }
    })();
    return { cancel: () => void (cancelled = true) };
  }

  /** The store answers again: flush now rather than at the scheduled retry. */
  private retryNow(): void {
    if (!this.retryTimer) return;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.logger.info({ queued: this.queue.length }, 'event log answers again; flushing');
    void this.flush();
  }

  private onFailure(err: unknown): void {
    this.failures++;
    const delay = jitteredDelay(STORE_RETRY_MS, this.failures, this.opts.random ?? Math.random);
    this.logger.warn({ err: String(err), failures: this.failures, retryInMs: delay, queued: this.queue.length }, 'event log write failed');
    this.hooks.onStoreState?.(true, this.failures);
    // Publishers waiting on this batch learn it is not durable yet; the events stay queued and
    // each publisher is told again when its event commits.
    for (const p of this.queue) {
      if (p.toldNotDurable) continue;
      p.toldNotDurable = true;
      p.settle(false);
    }
    const unavailable = HubError.is(err, 'STORE_UNAVAILABLE');
    if (!unavailable) this.logger.error({ err }, 'unexpected event log error');
    this.probe?.start();
    // The commit failed although pings may answer: the probe calls back again after a quiet time
    // (0.5 s, doubling up to 4 s). Whatever the error: a connection torn mid-write as the store
    // returns does not always fail as STORE_UNAVAILABLE, and waiting for the schedule then costs
    // 15-45 s; a batch the store refuses for good is tried at most every 4 s that way.
    this.probe?.writeFailed();
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delay);
    this.retryTimer.unref?.();
  }
}
