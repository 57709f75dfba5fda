import { AUDIT_TOPIC, type AuditEntry } from '@agent-hub/protocol';
import type { EventBus, Logger } from '@agent-hub/core';

/** Where audit entries go; `record` never throws (an action is not undone because its entry failed). */
export interface AuditSink {
  record(entry: Omit<AuditEntry, 'type' | 'at'>): Promise<void>;
}

/**
 * The audit log is the event log: each entry is a `critical` event on `$hub:audit`, published by
 * `hub`, so it is persisted with the same durability, replayed, queried (`GET /api/audit`),
 * exported by `events:export` and removed by the same retention as every other topic.
 */
export class AuditTrail implements AuditSink {
  constructor(
    private readonly bus: EventBus,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /**
   * Resolves once the entry is in the log's order (numbered, delivered, readable through the log's
   * queries), not once it is committed: the request it records is not held up by the store. While
   * the store is down that commit waits for its return (a silent PostgreSQL: the driver's 10 s
   * connect timeout before even `durable: false`), and a write the hub queued for the outage would
   * be answered `pending` only after it. The entry is committed like any queued event.
   */
  async record(entry: Omit<AuditEntry, 'type' | 'at'>): Promise<void> {
    const payload: AuditEntry = { type: 'audit', ...entry, at: new Date(this.now()).toISOString() };
    const failed = (err: unknown) => this.log.warn({ err: String(err), action: entry.action, who: entry.who }, 'audit entry not written');
    try {
      const { done } = await this.bus.accept('hub', { topic: AUDIT_TOPIC, priority: 'critical', payload });
      void done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}

/** For a hub built without an event bus (tests that mount only the HTTP app). */
export const noAudit: AuditSink = { record: async () => undefined };
