import type { DeadLetterStatusChange, EventLog, EventQuery } from '../ports/store.ts';
import type { DeadLetter, DeadLetterStatus, HubEvent } from '@agent-hub/protocol';
import { newestFirst, transition, withStatus } from '../store-kit/dead-letter-status.ts';
import { readMatchingRows, topicMatcher } from '../store-kit/event-filter.ts';
import { jsonCopy } from '../store-kit/json-copy.ts';
import { freshEvents, offsetsOf } from '../store-kit/offsets-of.ts';

/** An event as the SQL adapters keep it: time in ms, payload serialised once. */
interface EventRow {
  event: Omit<HubEvent, 'payload'>;
  tsMs: number;
  payloadJson: string;
}

export class MemoryEventLog implements EventLog {
  /** Ascending by offset. */
  private rows: EventRow[] = [];
  /** Event id → the offset it is stored under. */
  private readonly ids = new Map<string, number>();
  /** Every stored offset (unique, as the SQL primary key). */
  private readonly taken = new Set<number>();
  private readonly offsets = new Map<string, number>();
  private readonly deadLetters = new Map<string, DeadLetter>();

  async appendEvents(batch: HubEvent[]): Promise<string[]> {
    const fresh = freshEvents(batch, this.ids, this.taken);
    // A batch numbered after everything stored (the bus's case) is appended in place; anything else sorts.
    let inOrder = true;
    let last = this.rows.at(-1)?.event.offset ?? -Infinity;
    for (const { payload, ...event } of fresh) {
      const tsMs = Date.parse(event.ts);
      // Normalised as a timestamptz column gives it back.
      const ts = new Date(tsMs).toISOString();
      this.rows.push({ event: { ...event, ts }, tsMs, payloadJson: JSON.stringify(payload ?? null) });
      this.ids.set(event.id, event.offset);
      this.taken.add(event.offset);
      if (event.offset < last) inOrder = false;
      last = event.offset;
    }
    if (!inOrder) this.rows.sort((a, b) => a.event.offset - b.event.offset);
    return fresh.map((e) => e.id);
  }

  async maxOffset(): Promise<number> {
    return this.rows.at(-1)?.event.offset ?? 0;
  }

  async hasEvent(id: string): Promise<boolean> {
    return this.ids.has(id);
  }

  async offsetsOf(ids: string[]): Promise<Map<string, number>> {
    return offsetsOf(this.ids, ids);
  }

  async readEvents(q: EventQuery): Promise<HubEvent[]> {
    return readMatchingRows(this.rows, q).map((r) => ({ ...r.event, payload: JSON.parse(r.payloadJson) as unknown }));
  }

  async deleteEventsBefore(before: number, pattern?: string): Promise<number> {
    const matchesTopic = topicMatcher(pattern === undefined ? undefined : [pattern]);
    const kept: EventRow[] = [];
    for (const r of this.rows) {
      if (r.tsMs < before && matchesTopic(r.event.topic)) {
        this.ids.delete(r.event.id);
        this.taken.delete(r.event.offset);
      } else kept.push(r);
    }
    const deleted = this.rows.length - kept.length;
    this.rows = kept;
    return deleted;
  }

  async getAgentOffset(agentId: string): Promise<number | null> {
    return this.offsets.get(agentId) ?? null;
  }

  async setAgentOffset(agentId: string, offset: number): Promise<void> {
    this.offsets.set(agentId, Math.max(offset, this.offsets.get(agentId) ?? offset));
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    if (!this.deadLetters.has(d.id)) this.deadLetters.set(d.id, withStatus({ ...d, at: new Date(d.at).toISOString() }));
  }

  async listDeadLetters(limit: number, filter: { status?: DeadLetterStatus } = {}): Promise<DeadLetter[]> {
    return newestFirst(this.deadLetters.values(), limit, filter.status).map(jsonCopy);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    const d = this.deadLetters.get(id);
    return d ? jsonCopy(d) : null;
  }

  async setDeadLetterStatus(id: string, from: DeadLetterStatus, change: DeadLetterStatusChange): Promise<DeadLetter> {
    const next = transition(this.deadLetters, id, from, change);
    this.deadLetters.set(id, next);
    return jsonCopy(next);
  }
}
