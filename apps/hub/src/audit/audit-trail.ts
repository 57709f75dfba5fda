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

  async record(entry: Omit<AuditEntry, 'type' | 'at'>): Promise<void> {
    const payload: AuditEntry = { type: 'audit', ...entry, at: new Date(this.now()).toISOString() };
    try {
      await this.bus.publish('hub', { topic: AUDIT_TOPIC, priority: 'critical', payload });
    } catch (err) {
      this.log.warn({ err: String(err), action: entry.action, who: entry.who }, 'audit entry not written');
    }
  }
}

/** For a hub built without an event bus (tests that mount only the HTTP app). */
export const noAudit: AuditSink = { record: async () => undefined };
