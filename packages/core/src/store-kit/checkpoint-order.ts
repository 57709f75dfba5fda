import type { CheckpointQuery, CheckpointRecord } from '../ports/store.ts';
import type { CheckpointCursor, CheckpointWrite } from '@agent-hub/protocol';

/** Byte order of the UTF-8, as the SQL adapters sort (collate "C"). */
export function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Listing order of every adapter: id, then thread, then namespace, all descending. */
export function compareForListing(a: CheckpointCursor, b: CheckpointCursor): number {
  return byBytes(b.id, a.id) || byBytes(b.threadId, a.threadId) || byBytes(b.namespace, a.namespace);
}

/** Whether a checkpoint belongs in a listing (all but `limit`). */
export function matchesCheckpointQuery(rec: CheckpointRecord, q: CheckpointQuery): boolean {
  if (q.threadId !== undefined && rec.threadId !== q.threadId) return false;
  if (q.namespace !== undefined && rec.namespace !== q.namespace) return false;
  if (q.id !== undefined && rec.id !== q.id) return false;
  if (q.before !== undefined && byBytes(rec.id, q.before) >= 0) return false;
  if (q.after !== undefined && compareForListing(rec, q.after) <= 0) return false;
  if (q.filter) {
    for (const [key, value] of Object.entries(q.filter)) {
      if (!Object.hasOwn(rec.metadata, key) || !jsonEqual(rec.metadata[key], value)) return false;
    }
  }
  return true;
}

/** Equality of two JSON values as jsonb compares them (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The key that makes a write unique within its checkpoint. */
export function writeKey(w: Pick<CheckpointWrite, 'taskId' | 'idx'>): string {
  return `${w.taskId}\u0000${w.idx}`;
}

/** Writes in the order every adapter returns them: taskId (bytes), then idx. */
export function compareWrites(a: CheckpointWrite, b: CheckpointWrite): number {
  return byBytes(a.taskId, b.taskId) || a.idx - b.idx;
}

/**
 * The write that stays under a key: a regular write (idx >= 0) already stored is kept, because a
 * retried task writes the same again; a special one (errors, interrupts: idx < 0) is replaced.
 */
export function keepsExisting(incoming: CheckpointWrite, existing: CheckpointWrite | undefined): boolean {
  return existing !== undefined && incoming.idx >= 0;
}
