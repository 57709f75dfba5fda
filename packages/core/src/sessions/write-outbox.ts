import { HubError } from '@agent-hub/protocol';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { NewMessageRecord, SessionStore } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';

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

/** Retry schedule while the store is down: 1 s, 5 s, 30 s, then every 30 s. */
export const OUTBOX_RETRY_MS = [1000, 5000, 30_000];

export interface OutboxSettings {
  /** Background flush even without new writes. */
  flushIntervalMs: number;
  /** Failing this long raises the CRITICAL alert. */
  alertAfterMs: number;
}

export interface OutboxState {
  queued: number;
  failingSince: number | null;
  alert: boolean;
}

/**
 * Session writes accepted while the store is down. Each is journaled (fsync) before the client is
 * told `pending: true`, so an acknowledged write survives the outage and a hub crash; the queue
 * drains in acceptance order, with backoff, once the store answers again.
 */
export class WriteOutbox extends TypedEmitter<{ state: [OutboxState]; failure: [unknown]; applied: [QueuedWrite] }> {
  private queue: JournaledWrite[] = [];
  private seq = 0;
  private failures = 0;
  private failingSince: number | null = null;
  private alerted = false;
  private retry: TimerHandle | null = null;
  private interval: TimerHandle | null = null;
  private draining: Promise<void> | null = null;

  constructor(
    private readonly store: SessionStore,
    private readonly journal: OutboxJournal,
    private readonly clock: Clock,
    private readonly s: OutboxSettings,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.queue = await this.journal.load();
    this.seq = this.queue.reduce((m, e) => Math.max(m, e.seq), 0);
    if (this.queue.length) this.log.warn({ queued: this.queue.length }, 'replaying session writes journaled before the restart');
    const tick = () => {
      void this.drain();
      this.interval = this.clock.setTimeout(tick, this.s.flushIntervalMs);
      this.interval.unref?.();
    };
    this.interval = this.clock.setTimeout(tick, this.s.flushIntervalMs);
    this.interval.unref?.();
    await this.drain();
  }

  get size(): number {
    return this.queue.length;
  }

  has(sessionId: string): boolean {
    return this.queue.some((e) => (e.write.kind === 'create' ? e.write.id : e.write.sessionId) === sessionId);
  }

  /** Journals the write, then queues it; resolves once it is safe to acknowledge. */
  async accept(write: QueuedWrite): Promise<{ position: number }> {
    const entry = { seq: ++this.seq, write };
    await this.journal.append(entry);
    this.queue.push(entry);
    this.failingSince ??= this.clock.now();
    this.announce();
    this.scheduleRetry();
    return { position: this.queue.length };
  }

  /** Applies queued writes in order until the queue is empty or the store fails again. */
  drain(): Promise<void> {
    this.draining ??= this.applyAll().finally(() => (this.draining = null));
    return this.draining;
  }

  async close(): Promise<void> {
    for (const t of [this.retry, this.interval]) if (t) this.clock.clearTimeout(t);
    this.retry = this.interval = null;
    await this.drain();
    if (this.queue.length) this.log.warn({ queued: this.queue.length }, 'store still down at shutdown; journaled writes will be applied at next start');
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
        this.log.error({ err: String(err), write: entry.write.kind }, 'queued session write rejected by the store; dropped');
      }
      this.queue.shift();
      applied++;
      this.emit('applied', entry.write);
    }
    if (applied) await this.journal.rewrite(this.queue);
    if (!this.queue.length && this.failingSince !== null) {
      this.log.info({ after: this.failures }, 'store reachable again; queued session writes applied');
      this.failures = 0;
      this.failingSince = null;
      this.alerted = false;
      if (this.retry) this.clock.clearTimeout(this.retry);
      this.retry = null;
    }
    this.announce();
  }

  private apply(w: QueuedWrite): Promise<unknown> {
    switch (w.kind) {
      case 'create':
        return this.store.createSession({ id: w.id, members: w.members, metadata: w.metadata, at: w.at }, w.messages);
      case 'append':
        return this.store.appendMessages(w.sessionId, undefined, w.messages, w.at);
      case 'agentState':
        return this.store.updateSession(w.sessionId, undefined, { agentState: { agentId: w.agentId, state: w.state } }, w.at);
    }
  }

  private onFailure(err: unknown): void {
    this.failures++;
    this.failingSince ??= this.clock.now();
    this.emit('failure', err);
    const failingMs = this.clock.now() - this.failingSince;
    if (!this.alerted && failingMs >= this.s.alertAfterMs) {
      this.alerted = true;
      this.log.fatal({ failingMs, queued: this.queue.length }, 'CRITICAL: session store unreachable; writes are queued');
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    const delay = OUTBOX_RETRY_MS[Math.min(this.failures, OUTBOX_RETRY_MS.length - 1)]!;
    this.retry = this.clock.setTimeout(() => {
      this.retry = null;
      void this.drain();
    }, delay);
    this.retry.unref?.();
  }

  private announce(): void {
    this.emit('state', { queued: this.queue.length, failingSince: this.failingSince, alert: this.alerted });
  }
}
