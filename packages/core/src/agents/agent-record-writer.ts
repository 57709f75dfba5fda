import type { AgentRecord, AgentStore } from '../ports/store.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';

/** At most this many agents per write; more go in the next one. */
const MAX_BATCH = 500;
/** After a failed write: wait this long, doubling up to the cap, then write again. */
const RETRY_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * The durable registry (who exists: name, capabilities, recovery) behind registrations, written
 * behind them: a registration is answered from the live directory at once and its record goes
 * to the store here. Records that arrive while a write is in flight go out together as the next
 * `upsertAgents`, so a fleet reconnecting at once costs the store a few commits, not one per
 * agent and not one wait per agent. A later record of an agent replaces one not yet written; a
 * failed write is kept and retried with backoff (a store outage does not keep agents out).
 */
export class AgentRecordWriter {
  private queue = new Map<string, AgentRecord>();
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private retryTimer: TimerHandle | null = null;
  private retryMs = RETRY_MS;

  constructor(
    private readonly store: AgentStore,
    private readonly clock: Clock,
    private readonly onError: (err: unknown, queued: number) => void = () => undefined,
  ) {}

  /** Records waiting to be written. */
  get pending(): number {
    return this.queue.size;
  }

  write(rec: AgentRecord): void {
    this.queue.set(rec.id, rec);
    this.schedule();
  }

  /** Writes what is queued now (one attempt each); for a graceful stop and tests. */
  async drain(): Promise<void> {
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.writing) await this.writing;
    while (this.queue.size) if (!(await this.flush())) return;
  }

  private schedule(): void {
    if (this.writing || this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** One write of up to MAX_BATCH records; false if it failed (the records stay queued). */
  private async flush(): Promise<boolean> {
    if (this.writing || this.queue.size === 0) return true;
    const batch: AgentRecord[] = [];
    for (const rec of this.queue.values()) {
      batch.push(rec);
      if (batch.length >= MAX_BATCH) break;
    }
    for (const rec of batch) this.queue.delete(rec.id);
    let ok = true;
    this.writing = this.store.upsertAgents(batch).then(
      () => {
        this.retryMs = RETRY_MS;
      },
      (err) => {
        ok = false;
        // Put back what no newer record has replaced meanwhile.
        for (const rec of batch) if (!this.queue.has(rec.id)) this.queue.set(rec.id, rec);
        this.onError(err, this.queue.size);
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          this.schedule();
        }, this.retryMs);
        this.retryTimer.unref?.();
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      },
    );
    await this.writing;
    this.writing = null;
    if (ok && this.queue.size) this.schedule();
    return ok;
  }
}
