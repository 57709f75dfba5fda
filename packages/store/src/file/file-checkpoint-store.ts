import { join } from 'node:path';
import type { CheckpointQuery, CheckpointRecord, CheckpointStore } from '@agent-hub/core';
import type { CheckpointWrite, StoredCheckpoint } from '@agent-hub/protocol';
import { CheckpointTable, type ThreadCheckpoints } from '@agent-hub/core/store-kit';
import { listFiles, readIfExists, removeIfExists, writeFileAtomic } from './atomic-file.ts';
import { fileNameFor } from './file-names.ts';
import { SerialQueues } from './serial-queues.ts';

/**
 * Checkpoints in `checkpoints/<thread>.json`, one file per thread holding its checkpoints and
 * writes, rewritten atomically on each change (a graph's thread is one run's history: small).
 * The whole set is read at open and served from memory.
 */
export class FileCheckpointStore implements CheckpointStore {
  private readonly queue = new SerialQueues();

  private constructor(
    private readonly dir: string,
    private readonly table: CheckpointTable,
  ) {}

  static async load(dir: string): Promise<FileCheckpointStore> {
    const table = new CheckpointTable();
    for (const name of (await listFiles(dir)).filter((n) => n.endsWith('.json'))) {
      const bytes = await readIfExists(join(dir, name));
      if (bytes) table.restore(JSON.parse(bytes.toString('utf8')) as ThreadCheckpoints);
    }
    return new FileCheckpointStore(dir, table);
  }

  putCheckpoint(rec: CheckpointRecord): Promise<void> {
    return this.changeThread(rec.threadId, () => this.table.putCheckpoint(rec));
  }

  putCheckpointWrites(threadId: string, namespace: string, checkpointId: string, writes: CheckpointWrite[]): Promise<void> {
    return this.changeThread(threadId, () => this.table.putCheckpointWrites(threadId, namespace, checkpointId, writes));
  }

  getCheckpoint(threadId: string, namespace: string, id?: string): Promise<StoredCheckpoint | null> {
    return this.table.getCheckpoint(threadId, namespace, id);
  }

  listCheckpoints(q: CheckpointQuery): Promise<StoredCheckpoint[]> {
    return this.table.listCheckpoints(q);
  }

  deleteCheckpointThread(threadId: string): Promise<number> {
    return this.changeThread(threadId, () => this.table.deleteCheckpointThread(threadId));
  }

  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Changes the thread in memory, then writes its file (or removes it once empty) before answering. */
  private changeThread<T>(threadId: string, change: () => Promise<T>): Promise<T> {
    return this.queue.run(threadId, async () => {
      const before = this.table.snapshot(threadId);
      const result = await change();
      const after = this.table.snapshot(threadId);
      const path = join(this.dir, `${fileNameFor(threadId)}.json`);
      try {
        if (after) await writeFileAtomic(path, JSON.stringify(after));
        else await removeIfExists(path);
      } catch (err) {
        // Memory must not run ahead of the disk: put the thread back as the file has it.
        await this.table.deleteCheckpointThread(threadId);
        if (before) this.table.restore(before);
        throw err;
      }
      return result;
    });
  }
}
