import { join } from 'node:path';
import type { AgentRecord, AgentStore, KeyValueStore } from '@agent-hub/core';
import { kvVersionConflict, jsonCopy } from '@agent-hub/core/store-kit';
import { listFiles, readIfExists, removeIfExists, writeFileAtomic } from './atomic-file.ts';
import { fileNameFor } from './file-names.ts';
import { SerialQueues } from './serial-queues.ts';
import type { SnapshotFile } from './snapshot-file.ts';

/** Agents in one small `agents.json`, rewritten on each registration. */
export class FileAgentStore implements AgentStore {
  private readonly file: SnapshotFile;

  constructor(
    private readonly agents: Map<string, AgentRecord>,
    snapshot: (render: () => string) => SnapshotFile,
  ) {
    this.file = snapshot(() => JSON.stringify(Object.fromEntries(this.agents)));
  }

  async upsertAgent(rec: AgentRecord): Promise<void> {
    this.agents.set(rec.id, jsonCopy(rec));
    await this.file.save();
  }

  async upsertAgents(recs: AgentRecord[]): Promise<void> {
    for (const rec of recs) this.agents.set(rec.id, jsonCopy(rec));
    await this.file.save();
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const rec = this.agents.get(id);
    return rec ? jsonCopy(rec) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return [...this.agents.keys()].sort(byBytes).map((id) => jsonCopy(this.agents.get(id)!));
  }

  drain(): Promise<void> {
    return this.file.drain();
  }
}

interface StoredValue {
  key: string;
  version: number;
  value: unknown;
}

/**
 * One file per key under `kv/` (`{ key, version, value }`), so a compare-and-set rewrites only
 * its own document. Writes to one key run one at a time, which makes the version check atomic.
 */
export class FileKeyValueStore implements KeyValueStore {
  private readonly queue = new SerialQueues();

  private constructor(
    private readonly dir: string,
    /** Values kept serialised, as a jsonb column would. */
    private readonly entries: Map<string, { json: string; version: number }>,
  ) {}

  static async load(dir: string): Promise<FileKeyValueStore> {
    const entries = new Map<string, { json: string; version: number }>();
    for (const name of (await listFiles(dir)).filter((n) => n.endsWith('.json'))) {
      const bytes = await readIfExists(join(dir, name));
      if (!bytes) continue;
      const stored = JSON.parse(bytes.toString('utf8')) as StoredValue;
      entries.set(stored.key, { json: JSON.stringify(stored.value), version: stored.version });
    }
    return new FileKeyValueStore(dir, entries);
  }

  async getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const e = this.entries.get(key);
    return e ? { value: JSON.parse(e.json) as T, version: e.version } : null;
  }

  putValue(key: string, value: unknown, expectedVersion: number): Promise<number> {
    return this.queue.run(key, async () => {
      const currentVersion = this.entries.get(key)?.version ?? 0;
      if (currentVersion !== expectedVersion) throw kvVersionConflict(key, currentVersion);
      const json = JSON.stringify(value ?? null);
      const version = currentVersion + 1;
      await writeFileAtomic(this.path(key), `{"key":${JSON.stringify(key)},"version":${version},"value":${json}}`);
      this.entries.set(key, { json, version });
      return version;
    });
  }

  deleteValue(key: string): Promise<void> {
    return this.queue.run(key, async () => {
      await removeIfExists(this.path(key));
      this.entries.delete(key);
    });
  }

  async listKeys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort(byBytes);
  }

  drain(): Promise<void> {
    return this.queue.drain();
  }

  private path(key: string): string {
    return join(this.dir, `${fileNameFor(key)}.json`);
  }
}

/** Byte order of the UTF-8, as the SQL adapters sort (collate "C"). */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
