import type { AgentRecord, AgentStore, KeyValueStore } from '../ports/store.ts';
import { kvVersionConflict } from '../store-kit/kv-conflict.ts';
import { jsonCopy } from '../store-kit/json-copy.ts';

export class MemoryAgentStore implements AgentStore {
  private readonly agents = new Map<string, AgentRecord>();

  async upsertAgent(rec: AgentRecord): Promise<void> {
    this.agents.set(rec.id, jsonCopy(rec));
  }

  async upsertAgents(recs: AgentRecord[]): Promise<void> {
    for (const rec of recs) this.agents.set(rec.id, jsonCopy(rec));
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const rec = this.agents.get(id);
    return rec ? jsonCopy(rec) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return [...this.agents.keys()].sort(byCodeUnit).map((id) => jsonCopy(this.agents.get(id)!));
  }
}

export class MemoryKeyValueStore implements KeyValueStore {
  /** Values kept serialised, as a jsonb column would. */
  private readonly entries = new Map<string, { json: string; version: number }>();

  async getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const e = this.entries.get(key);
    return e ? { value: JSON.parse(e.json) as T, version: e.version } : null;
  }

  async putValue(key: string, value: unknown, expectedVersion: number): Promise<number> {
    const currentVersion = this.entries.get(key)?.version ?? 0;
    if (currentVersion !== expectedVersion) throw kvVersionConflict(key, currentVersion);
    this.entries.set(key, { json: JSON.stringify(value ?? null), version: currentVersion + 1 });
    return currentVersion + 1;
  }

  async deleteValue(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort(byCodeUnit);
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
