import type { AgentRecord, AgentStore, KeyValueStore } from '@agent-hub/core';
import type { Redis } from 'ioredis';
import { kvVersionConflict } from '@agent-hub/core/store-kit';
import type { RedisKeys } from './redis-keys.ts';
import type { StoreScripts } from './redis-scripts.ts';

export class RedisAgentStore implements AgentStore {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async upsertAgent(rec: AgentRecord): Promise<void> {
    await this.client.hset(this.keys.agents, rec.id, JSON.stringify(rec));
  }

  async upsertAgents(recs: AgentRecord[]): Promise<void> {
    if (!recs.length) return;
    await this.client.hset(this.keys.agents, Object.fromEntries(recs.map((rec) => [rec.id, JSON.stringify(rec)])));
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const json = await this.client.hget(this.keys.agents, id);
    return json === null ? null : (JSON.parse(json) as AgentRecord);
  }

  async listAgents(): Promise<AgentRecord[]> {
    const rows = (await this.client.hvals(this.keys.agents)).map((json) => JSON.parse(json) as AgentRecord);
    // Byte order, as the SQL adapters list them.
    return rows.sort((a, b) => Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)));
  }
}

/** Stored as '<version>:<json>' so one read returns both. */
export class RedisKeyValueStore implements KeyValueStore {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly scripts: StoreScripts,
  ) {}

  async getValue<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const stored = await this.client.hget(this.keys.kv, key);
    if (stored === null) return null;
    const colon = stored.indexOf(':');
    return { value: JSON.parse(stored.slice(colon + 1)) as T, version: Number(stored.slice(0, colon)) };
  }

  async putValue(key: string, value: unknown, expectedVersion: number): Promise<number> {
    const json = JSON.stringify(value ?? null);
    const [ok, version] = (await this.scripts.hubPutValue(this.keys.prefix, key, String(expectedVersion), json)) as [number, number];
    if (ok !== 1) throw kvVersionConflict(key, version);
    return version;
  }

  async deleteValue(key: string): Promise<void> {
    const replies = await this.client.multi().hdel(this.keys.kv, key).zrem(this.keys.kvKeys, key).exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  async listKeys(prefix: string): Promise<string[]> {
    if (prefix === '') return this.client.zrangebylex(this.keys.kvKeys, '-', '+');
    // Every key starting with the prefix sorts between it and the prefix followed by byte 0xff,
    // which no UTF-8 text contains.
    const from = Buffer.from(`[${prefix}`);
    const to = Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]);
    return this.client.zrangebylex(this.keys.kvKeys, from, to);
  }
}
