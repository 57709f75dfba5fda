import type { CheckpointQuery, CheckpointRecord, CheckpointStore } from '@agent-hub/core';
import type { CheckpointWrite, StoredCheckpoint } from '@agent-hub/protocol';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { checkpoints, checkpointWrites } from '../schema.ts';
import type { SqlDatabase } from './sql-database.ts';

type CheckpointRow = typeof checkpoints.$inferSelect;
type WriteRow = typeof checkpointWrites.$inferSelect;

// Text compares by bytes (collate "C") in every adapter, so the listing order is the same everywhere.
const byId = sql`${checkpoints.id} collate "C"`;

export class SqlCheckpointStore implements CheckpointStore {
  constructor(private readonly db: SqlDatabase) {}

  async putCheckpoint(rec: CheckpointRecord): Promise<void> {
    const row = {
      threadId: rec.threadId,
      namespace: rec.namespace,
      id: rec.id,
      parentId: rec.parentId,
      ...rec.checkpoint,
      metadata: rec.metadata,
    };
    await this.db
      .insert(checkpoints)
      .values(row)
      .onConflictDoUpdate({
        target: [checkpoints.threadId, checkpoints.namespace, checkpoints.id],
        set: { parentId: row.parentId, type: row.type, data: row.data, metadata: row.metadata },
      });
  }

  async putCheckpointWrites(threadId: string, namespace: string, checkpointId: string, writes: CheckpointWrite[]): Promise<void> {
    const rows = writes.map((w) => ({
      threadId,
      namespace,
      checkpointId,
      taskId: w.taskId,
      idx: w.idx,
      channel: w.channel,
      ...w.value,
      taskPath: w.taskPath,
    }));
    const key = [
      checkpointWrites.threadId,
      checkpointWrites.namespace,
      checkpointWrites.checkpointId,
      checkpointWrites.taskId,
      checkpointWrites.idx,
    ];
    const regular = rows.filter((r) => r.idx >= 0);
    const special = rows.filter((r) => r.idx < 0);
    // A retried task writes the same regular writes again: the first stays. Errors and interrupts replace.
    if (regular.length > 0) await this.db.insert(checkpointWrites).values(regular).onConflictDoNothing({ target: key });
    if (special.length > 0) {
      await this.db
        .insert(checkpointWrites)
        .values(special)
        .onConflictDoUpdate({
          target: key,
          set: { channel: sql`excluded.channel`, type: sql`excluded.type`, data: sql`excluded.data`, taskPath: sql`excluded.task_path` },
        });
    }
  }

  async getCheckpoint(threadId: string, namespace: string, id?: string): Promise<StoredCheckpoint | null> {
    const where = and(
      eq(checkpoints.threadId, threadId),
      eq(checkpoints.namespace, namespace),
      id === undefined ? undefined : eq(checkpoints.id, id),
    );
    const [row] = await this.db
      .select()
      .from(checkpoints)
      .where(where)
      .orderBy(sql`${byId} desc`)
      .limit(1);
    if (!row) return null;
    const [stored] = await this.withWrites([row]);
    return stored ?? null;
  }

  async listCheckpoints(q: CheckpointQuery): Promise<StoredCheckpoint[]> {
    const conditions: Array<SQL | undefined> = [
      q.threadId === undefined ? undefined : eq(checkpoints.threadId, q.threadId),
      q.namespace === undefined ? undefined : eq(checkpoints.namespace, q.namespace),
      q.id === undefined ? undefined : eq(checkpoints.id, q.id),
      q.before === undefined ? undefined : sql`${byId} < ${q.before}`,
      q.after === undefined
        ? undefined
        : sql`(${byId}, ${checkpoints.threadId} collate "C", ${checkpoints.namespace} collate "C") < (${q.after.id}, ${q.after.threadId}, ${q.after.namespace})`,
      // -> is null for a missing key, so the comparison is false then, as in the other adapters.
      ...Object.entries(q.filter ?? {}).map(([k, v]) => sql`${checkpoints.metadata} -> ${k} = ${JSON.stringify(v ?? null)}::jsonb`),
    ];
    const rows = await this.db
      .select()
      .from(checkpoints)
      .where(and(...conditions))
      .orderBy(sql`${byId} desc, ${checkpoints.threadId} collate "C" desc, ${checkpoints.namespace} collate "C" desc`)
      .limit(q.limit);
    return this.withWrites(rows);
  }

  async deleteCheckpointThread(threadId: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.delete(checkpointWrites).where(eq(checkpointWrites.threadId, threadId));
      const gone = await tx.delete(checkpoints).where(eq(checkpoints.threadId, threadId)).returning({ id: checkpoints.id });
      return gone.length;
    });
  }

  /** The rows as stored checkpoints, each with its writes (one query for all of them). */
  private async withWrites(rows: CheckpointRow[]): Promise<StoredCheckpoint[]> {
    if (rows.length === 0) return [];
    const writes = await this.db
      .select()
      .from(checkpointWrites)
      .where(
        and(
          inArray(checkpointWrites.threadId, [...new Set(rows.map((r) => r.threadId))]),
          inArray(
            checkpointWrites.checkpointId,
            rows.map((r) => r.id),
          ),
        ),
      )
      .orderBy(sql`${checkpointWrites.taskId} collate "C"`, checkpointWrites.idx);
    const byCheckpoint = new Map<string, CheckpointWrite[]>();
    for (const w of writes) {
      const key = JSON.stringify([w.threadId, w.namespace, w.checkpointId]);
      let list = byCheckpoint.get(key);
      if (!list) byCheckpoint.set(key, (list = []));
      list.push(toWrite(w));
    }
    return rows.map((r) => ({
      threadId: r.threadId,
      namespace: r.namespace,
      id: r.id,
      parentId: r.parentId,
      checkpoint: { type: r.type, data: r.data },
      metadata: r.metadata,
      writes: byCheckpoint.get(JSON.stringify([r.threadId, r.namespace, r.id])) ?? [],
    }));
  }
}

function toWrite(w: WriteRow): CheckpointWrite {
  return { taskId: w.taskId, idx: w.idx, channel: w.channel, value: { type: w.type, data: w.data }, taskPath: w.taskPath };
}
