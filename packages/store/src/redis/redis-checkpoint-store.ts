import type { CheckpointQuery, CheckpointRecord, CheckpointStore } from '@agent-hub/core';
import type { CheckpointWrite, StoredCheckpoint } from '@agent-hub/protocol';
import type { Redis } from 'ioredis';
import { byBytes, compareForListing, compareWrites, matchesCheckpointQuery } from '@agent-hub/core/store-kit';
import type { RedisKeys } from './redis-keys.ts';

/**
 * Checkpoints in Redis, per thread: `checkpoints:<thread>` (hash: `["<ns>","<id>"]` → record JSON),
 * `checkpoint-writes:<thread>` (hash: `["<ns>","<checkpoint>","<task>",<idx>]` → write JSON) and
 * `checkpoint-threads` (set). A thread is read whole (one run's history), so listings filter and
 * sort in the hub; a listing without a thread reads every thread.
 */
export class RedisCheckpointStore implements CheckpointStore {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async putCheckpoint(rec: CheckpointRecord): Promise<void> {
    const { writes: _none, ...record } = rec as CheckpointRecord & { writes?: unknown };
    await this.client
      .multi()
      .hset(this.checkpointsOf(rec.threadId), JSON.stringify([rec.namespace, rec.id]), JSON.stringify(record))
      .sadd(this.threads, rec.threadId)
      .exec()
      .then(failedStep);
  }

  async putCheckpointWrites(threadId: string, namespace: string, checkpointId: string, writes: CheckpointWrite[]): Promise<void> {
    const key = this.writesOf(threadId);
    const tx = this.client.multi();
    for (const w of writes) {
      const field = JSON.stringify([namespace, checkpointId, w.taskId, w.idx]);
      // A retried task writes the same regular writes again: the first stays. Errors and interrupts replace.
      if (w.idx >= 0) tx.hsetnx(key, field, JSON.stringify(w));
      else tx.hset(key, field, JSON.stringify(w));
    }
    await tx.sadd(this.threads, threadId).exec().then(failedStep);
  }

  async getCheckpoint(threadId: string, namespace: string, id?: string): Promise<StoredCheckpoint | null> {
    let record: CheckpointRecord | undefined;
    if (id !== undefined) {
      const json = await this.client.hget(this.checkpointsOf(threadId), JSON.stringify([namespace, id]));
      record = json === null ? undefined : (JSON.parse(json) as CheckpointRecord);
    } else {
      for (const r of await this.recordsOf(threadId)) {
        if (r.namespace === namespace && (!record || byBytes(r.id, record.id) > 0)) record = r;
      }
    }
    if (!record) return null;
    const [stored] = await this.withWrites([record]);
    return stored ?? null;
  }

  async listCheckpoints(q: CheckpointQuery): Promise<StoredCheckpoint[]> {
    const threads = q.threadId === undefined ? await this.client.smembers(this.threads) : [q.threadId];
    const hits: CheckpointRecord[] = [];
    for (const threadId of threads) hits.push(...(await this.recordsOf(threadId)).filter((r) => matchesCheckpointQuery(r, q)));
    return this.withWrites(hits.sort(compareForListing).slice(0, q.limit));
  }

  async deleteCheckpointThread(threadId: string): Promise<number> {
    const replies = await this.client
      .multi()
      .hlen(this.checkpointsOf(threadId))
      .del(this.checkpointsOf(threadId), this.writesOf(threadId))
      .srem(this.threads, threadId)
      .exec();
    failedStep(replies);
    return Number(replies![0]![1]);
  }

  private async recordsOf(threadId: string): Promise<CheckpointRecord[]> {
    const all = await this.client.hvals(this.checkpointsOf(threadId));
    return all.map((json) => JSON.parse(json) as CheckpointRecord);
  }

  private async withWrites(records: CheckpointRecord[]): Promise<StoredCheckpoint[]> {
    const byThread = new Map<string, Map<string, CheckpointWrite[]>>();
    for (const threadId of new Set(records.map((r) => r.threadId))) {
      const perCheckpoint = new Map<string, CheckpointWrite[]>();
      const all = await this.client.hgetall(this.writesOf(threadId));
      for (const [field, json] of Object.entries(all)) {
        const [namespace, checkpointId] = JSON.parse(field) as [string, string];
        const key = JSON.stringify([namespace, checkpointId]);
        let list = perCheckpoint.get(key);
        if (!list) perCheckpoint.set(key, (list = []));
        list.push(JSON.parse(json) as CheckpointWrite);
      }
      byThread.set(threadId, perCheckpoint);
    }
    return records.map((r) => ({
      ...r,
      writes: (byThread.get(r.threadId)?.get(JSON.stringify([r.namespace, r.id])) ?? []).sort(compareWrites),
    }));
  }

  private checkpointsOf(threadId: string): string {
    return this.keys.checkpoints(threadId);
  }

  private writesOf(threadId: string): string {
    return this.keys.checkpointWrites(threadId);
  }

  private get threads(): string {
    return this.keys.checkpointThreads;
  }
}

/** MULTI answers each step's error in its reply; the first one fails the call. */
function failedStep(replies: Array<[Error | null, unknown]> | null): void {
  for (const [err] of replies ?? []) if (err) throw err;
}
