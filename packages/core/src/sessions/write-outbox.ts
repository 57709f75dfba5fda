import { HubError } from '@agent-hub/protocol';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { NewMessageRecord, SessionStore } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import { settleWithin } from '../store-outage/deadline.ts';
import { RecoveryProbe } from '../store-outage/recovery-probe.ts';
import { jitteredDelay } from '../store-outage/retry-backoff.ts';
import { earlierWriteOf } from './message-ids.ts';

export type QueuedWrite =
  | { kind: 'create'; id: string; members: string[]; metadata: Record<string, unknown>; messages: NewMessageRecord[]; at: number }
  | { kind: 'append'; sessionId: string; messages: NewMessageRecord[]; at: number }
  | { kind: 'agentState'; sessionId: string; agentId: string; state: unknown; at: number };

export interface JournaledWrite {
  seq: number;
  write: QueuedWrite;
}

/** Where accepted-but-not-stored writes survive a hub crash (a fsynced file in the data dir). */
export interface OutboxJournal {
  load(): Promise<JournaledWrite[]>;
  append(entry: JournaledWrite): Promise<void>;
  /** Replaces the journal with what is still queued (after a drain made progress). */
  rewrite(remaining: JournaledWrite[]): Promise<void>;
}

/**
 * Retry schedule while the store is down: about 1 s, 5 s, 30 s, then every 30 s (each ±50%, see
 * `jitteredDelay`). The recovery probe usually starts the drain sooner; this is the fallback.
 */
export const OUTBOX_RETRY_MS = [1000, 5000, 30_000];

export interface OutboxSettings {
  /** Background flush even without new writes. */
  flushIntervalMs: number;
  /** Failing this long raises the CRITICAL alert. */
  alertAfterMs: number;
  /** While writes are queued, the store is pinged this often (±50%) to drain as soon as it answers. */
  probeIntervalMs: number;
  /** A ping not answered within this counts as failed. */
  probeTimeoutMs: number;
}

export interface WriteOutboxDeps {
  store: SessionStore;
  journal: OutboxJournal;
  clock: Clock;
  log: Logger;
  /** Resolves when the store answers a trivial query (`Store.ping`). */
  ping: () => Promise<void>;
  random?: () => number;
}

export interface OutboxState {
  queued: number;
  failingSince: number | null;
  alert: boolean;
}

/**
 * Session writes accepted while the store is down. Each is journaled (fsync) before the client is
 * told `pending`, so an acknowledged write survives the outage and a hub crash; the queue drains
 * in acceptance order once the store answers again (a ping on a short interval notices that),
 * with jittered backoff while it does not.
 */
export class WriteOutbox extends TypedEmitter<{ state: [OutboxState]; failure: [unknown]; applied: [QueuedWrite] }> {
  private queue: JournaledWrite[] = [];
  /** `<session id> <message id>` → seq of the queued write holding that message (retries find it). */
  private readonly queuedMessages = new Map<string, number>();
  private seq = 0;
  private failures = 0;
  private failingSince: number | null = null;
  private alerted = false;
  private retry: TimerHandle | null = null;
  private interval: TimerHandle | null = null;
  private draining: Promise<void> | null = null;
  private closed = false;
  private pingCheck: Promise<boolean> | null = null;
  private readonly probe: RecoveryProbe;
  private readonly random: () => number;

  constructor(
    private readonly d: WriteOutboxDeps,
    private readonly s: OutboxSettings,
  ) {
    super();
    this.random = d.random ?? Math.random;
    this.probe = new RecoveryProbe(
      d.ping,
      d.clock,
      { intervalMs: s.probeIntervalMs, timeoutMs: s.probeTimeoutMs },
      () => {
        d.log.info({ queued: this.queue.length }, 'store answers again; draining queued session writes');
        void this.drain();
      },
      this.random,
    );
  }

  async start(): Promise<void> {
    this.queue = await this.d.journal.load();
    this.seq = this.queue.reduce((m, e) => Math.max(m, e.seq), 0);
    for (const e of this.queue) this.index(e, true);
    if (this.queue.length) this.d.log.warn({ queued: this.queue.length }, 'replaying session writes journaled before the restart');
    const tick = () => {
      void this.drain();
      this.interval = this.d.clock.setTimeout(tick, this.s.flushIntervalMs);
      this.interval.unref?.();
    };
    this.interval = this.d.clock.setTimeout(tick, this.s.flushIntervalMs);
    this.interval.unref?.();
    await this.drain();
  }

  get size(): number {
    return this.queue.length;
  }

  /** True from the first queued write until the queue has drained: the store is (or was just) down. */
  get failing(): boolean {
    return this.failingSince !== null;
  }

  /**
   * Whether the store answers a ping within `probeTimeoutMs`: tells a store that is only slow
   * (keep waiting for the write) from one that is gone (queue it). Concurrent askers share a ping.
   */
  storeAnswers(): Promise<boolean> {
    this.pingCheck ??= settleWithin(this.d.clock, this.s.probeTimeoutMs, this.d.ping())
      .then(
        (answer) => answer.settled,
        () => false,
      )
      .finally(() => (this.pingCheck = null));
    return this.pingCheck;
  }

  has(sessionId: string): boolean {
    return this.queue.some((e) => sessionOf(e.write) === sessionId);
  }

  /**
   * Where the queued append holding these message ids waits (a retry of a write still queued), or
   * undefined if none holds them; SESSION_MESSAGE_ID_CONFLICT if queued writes hold only some.
   */
  queuedAppend(sessionId: string, ids: readonly string[]): { position: number } | undefined {
    const seq = earlierWriteOf(sessionId, ids, (id) => this.queuedMessages.get(key(sessionId, id)));
    if (seq === undefined) return undefined;
    return { position: this.queue.findIndex((e) => e.seq === seq) + 1 };
  }

  /** Journals the write, then queues it; resolves once it is safe to acknowledge. */
  async accept(write: QueuedWrite): Promise<{ position: number }> {
    const entry = { seq: ++this.seq, write };
    await this.d.journal.append(entry);
    this.queue.push(entry);
    this.index(entry, true);
    this.failingSince ??= this.d.clock.now();
    this.announce();
    this.retryLater();
    return { position: this.queue.length };
  }

  /** Applies queued writes in order until the queue is empty or the store fails again. */
  drain(): Promise<void> {
    this.draining ??= this.applyAll().finally(() => (this.draining = null));
    return this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.retry, this.interval]) if (t) this.d.clock.clearTimeout(t);
    this.retry = this.interval = null;
    this.probe.stop();
    await this.drain();
    if (this.queue.length)
      this.d.log.warn({ queued: this.queue.length }, 'store still down at shutdown; journaled writes will be applied at next start');
  }

  private async applyAll(): Promise<void> {
    let applied = 0;
    while (this.queue.length) {
      const entry = this.queue[0]!;
      try {
        await this.apply(entry.write);
      } catch (err) {
        if (HubError.is(err, 'STORE_UNAVAILABLE')) {
          this.onFailure(err);
          break;
        }
        // The write can never apply (session deleted, expired): drop it, loudly, and go on.
        this.d.log.error({ err: String(err), write: entry.write.kind }, 'queued session write rejected by the store; dropped');
      }
      this.queue.shift();
      this.index(entry, false);
      applied++;
      this.emit('applied', entry.write);
    }
    if (applied) await this.d.journal.rewrite(this.queue);
    if (!this.queue.length && this.failingSince !== null) {
      this.d.log.info({ after: this.failures }, 'store reachable again; queued session writes applied');
      this.failures = 0;
      this.failingSince = null;
      this.alerted = false;
      if (this.retry) this.d.clock.clearTimeout(this.retry);
      this.retry = null;
      this.probe.stop();
    }
    this.announce();
  }

  private async apply(w: QueuedWrite): Promise<unknown> {
    const store = this.d.store;
    switch (w.kind) {
      case 'create':
        try {
          return await store.createSession({ id: w.id, members: w.members, metadata: w.metadata, at: w.at }, w.messages);
        } catch (err) {
          // The direct attempt that outlived its wait may have committed after all: then it is done.
          if (!HubError.is(err, 'STORE_UNAVAILABLE') && (await store.getSession(w.id))) return undefined;
          throw err;
        }
      case 'append':
        // Message ids make this safe to repeat: a copy already stored is answered, not written again.
        return store.appendMessages(w.sessionId, undefined, w.messages, w.at);
      case 'agentState':
        return store.updateSession(w.sessionId, undefined, { agentState: { agentId: w.agentId, state: w.state } }, w.at);
    }
  }

  private onFailure(err: unknown): void {
    this.failures++;
    this.failingSince ??= this.d.clock.now();
    this.emit('failure', err);
    // A write failed although pings may answer: the probe calls back again after a quiet time.
    this.probe.writeFailed();
    const failingMs = this.d.clock.now() - this.failingSince;
    if (!this.alerted && failingMs >= this.s.alertAfterMs) {
      this.alerted = true;
      this.d.log.fatal({ failingMs, queued: this.queue.length }, 'CRITICAL: session store unreachable; writes are queued');
    }
    this.retryLater();
  }

  /** Arms both ways back: the scheduled retry (kept if one is set) and the recovery probe. */
  private retryLater(): void {
    if (this.closed) return;
    this.probe.start();
    if (this.retry) return;
    this.retry = this.d.clock.setTimeout(
      () => {
        this.retry = null;
        void this.drain();
      },
      jitteredDelay(OUTBOX_RETRY_MS, this.failures + 1, this.random),
    );
    this.retry.unref?.();
  }

  private index(entry: JournaledWrite, add: boolean): void {
    const w = entry.write;
    if (w.kind === 'agentState') return;
    const session = sessionOf(w);
    for (const m of w.messages) {
      if (m.id === undefined) continue;
      if (add) this.queuedMessages.set(key(session, m.id), entry.seq);
      else this.queuedMessages.delete(key(session, m.id));
    }
  }

  private announce(): void {
    this.emit('state', { queued: this.queue.length, failingSince: this.failingSince, alert: this.alerted });
  }
}

function sessionOf(w: QueuedWrite): string {
  return w.kind === 'create' ? w.id : w.sessionId;
}

function key(sessionId: string, messageId: string): string {
  return `${sessionId} ${messageId}`;
}
