import type { CheckpointQuery, CheckpointRecord, CheckpointStore } from '../ports/store.ts';
import type { CheckpointWrite, StoredCheckpoint } from '@agent-hub/protocol';
import { jsonCopy } from './json-copy.ts';
import { byBytes, compareForListing, compareWrites, keepsExisting, matchesCheckpointQuery, writeKey } from './checkpoint-order.ts';

/** One thread's checkpoints and writes, as the file store writes it to disk. */
export interface ThreadCheckpoints {
  threadId: string;
  checkpoints: Array<{ record: CheckpointRecord; writes: CheckpointWrite[] }>;
}

interface Entry {
  record: CheckpointRecord;
  writes: Map<string, CheckpointWrite>;
}

/**
 * Checkpoints in process memory, by thread: the memory store's checkpoints, and the file store's
 * index (which writes each changed thread back to its file). Values are copied in and out, so
 * nothing is shared with callers.
 */
export class CheckpointTable implements CheckpointStore {
  private readonly threads = new Map<string, Map<string, Entry>>();

  async putCheckpoint(rec: CheckpointRecord): Promise<void> {
    const thread = this.thread(rec.threadId, true)!;
    const key = entryKey(rec.namespace, rec.id);
    const writes = thread.get(key)?.writes ?? new Map<string, CheckpointWrite>();
    thread.set(key, { record: jsonCopy(rec), writes });
  }

  async putCheckpointWrites(threadId: string, namespace: string, checkpointId: string, writes: CheckpointWrite[]): Promise<void> {
    const thread = this.thread(threadId, true)!;
    const key = entryKey(namespace, checkpointId);
    let entry = thread.get(key);
    if (!entry) {
      // Writes may come before their checkpoint is stored; they wait for it under its key.
      entry = { record: placeholder(threadId, namespace, checkpointId), writes: new Map() };
      thread.set(key, entry);
    }
    for (const w of writes) {
      if (keepsExisting(w, entry.writes.get(writeKey(w)))) continue;
      entry.writes.set(writeKey(w), jsonCopy(w));
    }
  }

  async getCheckpoint(threadId: string, namespace: string, id?: string): Promise<StoredCheckpoint | null> {
    const thread = this.thread(threadId, false);
    if (!thread) return null;
    if (id !== undefined) {
      const entry = thread.get(entryKey(namespace, id));
      return entry && !isPlaceholder(entry) ? stored(entry) : null;
    }
    let newest: Entry | undefined;
    for (const entry of thread.values()) {
      if (isPlaceholder(entry) || entry.record.namespace !== namespace) continue;
      if (!newest || byBytes(entry.record.id, newest.record.id) > 0) newest = entry;
    }
    return newest ? stored(newest) : null;
  }

  async listCheckpoints(q: CheckpointQuery): Promise<StoredCheckpoint[]> {
    const threads = q.threadId === undefined ? [...this.threads.values()] : [this.threads.get(q.threadId)].filter((t) => t !== undefined);
    const hits: Entry[] = [];
    for (const thread of threads) {
      for (const entry of thread.values()) if (!isPlaceholder(entry) && matchesCheckpointQuery(entry.record, q)) hits.push(entry);
    }
    return hits
      .sort((a, b) => compareForListing(a.record, b.record))
      .slice(0, q.limit)
      .map(stored);
  }

  async deleteCheckpointThread(threadId: string): Promise<number> {
    const thread = this.threads.get(threadId);
    this.threads.delete(threadId);
    return thread ? [...thread.values()].filter((e) => !isPlaceholder(e)).length : 0;
  }

  /** The thread as the file store keeps it on disk; null once it has nothing. */
  snapshot(threadId: string): ThreadCheckpoints | null {
    const thread = this.threads.get(threadId);
    if (!thread || thread.size === 0) return null;
    const checkpoints = [...thread.values()].map((e) => ({ record: e.record, writes: [...e.writes.values()] }));
    return { threadId, checkpoints };
  }

  /** Loads a thread the file store read from disk. */
  restore(saved: ThreadCheckpoints): void {
    const thread = this.thread(saved.threadId, true)!;
    for (const { record, writes } of saved.checkpoints) {
      thread.set(entryKey(record.namespace, record.id), { record, writes: new Map(writes.map((w) => [writeKey(w), w])) });
    }
  }

  private thread(threadId: string, create: boolean): Map<string, Entry> | undefined {
    let thread = this.threads.get(threadId);
    if (!thread && create) this.threads.set(threadId, (thread = new Map()));
    return thread;
  }
}

function entryKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}

/** Writes stored before their checkpoint sit under a record with no checkpoint yet. */
function placeholder(threadId: string, namespace: string, id: string): CheckpointRecord {
  return { threadId, namespace, id, parentId: null, checkpoint: { type: '', data: '' }, metadata: {} };
}

function isPlaceholder(e: Entry): boolean {
  return e.record.checkpoint.type === '';
}

function stored(e: Entry): StoredCheckpoint {
  return { ...jsonCopy(e.record), writes: jsonCopy([...e.writes.values()].sort(compareWrites)) };
}
