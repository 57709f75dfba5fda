import { Redis } from 'ioredis';
import type { AgentInfo } from '@agent-hub/protocol';
import type { Logger } from '@agent-hub/core';

export interface NodeRegistrySettings {
  prefix: string;
  node: string;
  /** How often this node says it is alive. */
  heartbeatMs: number;
  /** A node silent this long is dead (its key expires). */
  ttlMs: number;
  /** How often this node looks for dead ones. */
  checkMs: number;
}

export interface DeadNode {
  node: string;
  agents: AgentInfo[];
}

/** The set of live nodes' ids. */
export const nodesKey = (prefix: string) => `${prefix}nodes`;

/** Marks an agent disconnected, but only if the dead node still holds it (it may have moved on). */
const DISCONNECT_AGENT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return false end
local a = cjson.decode(cur)
if a.node ~= ARGV[2] then return false end
a.connected = false
a.health = 'disconnected'
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out`;

/**
 * The cluster's shared view of nodes and agents, in Redis: each node refreshes a key with a TTL
 * (its heartbeat) and records its agents in one hash. A node whose key has expired is dead; the
 * first survivor to claim it (SET NX) marks its agents disconnected and reports them, so every
 * agent of a killed node is marked disconnected within ttl + check interval.
 */
export class NodeRegistry {
  private readonly redis: Redis;
  private timers: ReturnType<typeof setInterval>[] = [];
  private onDeadNode: (dead: DeadNode) => void = () => undefined;
  private readonly k: { node: (n: string) => string; nodes: string; agents: string; reap: (n: string) => string };

  constructor(
    url: string,
    private readonly s: NodeRegistrySettings,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined);
    const p = s.prefix;
    this.k = { node: (n) => `${p}node:${n}`, nodes: nodesKey(p), agents: `${p}agents`, reap: (n) => `${p}reap:${n}` };
  }

  /** Joins the cluster; `onDeadNode` is told of each dead node this one reaps (with its agents, now disconnected). */
  async start(onDeadNode: (dead: DeadNode) => void): Promise<void> {
    this.onDeadNode = onDeadNode;
    await this.redis.connect().catch(() => undefined);
    await this.beat();
    this.timers.push(setInterval(() => void this.beat(), this.s.heartbeatMs));
    this.timers.push(setInterval(() => void this.findDead(), this.s.checkMs));
    this.timers.forEach((t) => t.unref());
  }

  get ok(): boolean {
    return this.redis.status === 'ready';
  }

  /** Records (or refreshes) an agent of this node in the shared registry. */
  putAgent(agent: AgentInfo): void {
    if (agent.node !== this.s.node) return;
    this.redis.hset(this.k.agents, agent.id, JSON.stringify(agent)).catch(() => undefined);
  }

  async agents(): Promise<AgentInfo[]> {
    const all = await this.redis.hvals(this.k.agents);
    return all.map((v) => JSON.parse(v) as AgentInfo);
  }

  async nodes(): Promise<string[]> {
    return this.redis.smembers(this.k.nodes);
  }

  async close(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.timers = [];
    // A clean stop: leave at once instead of waiting for the TTL.
    await this.redis
      .multi()
      .del(this.k.node(this.s.node))
      .srem(this.k.nodes, this.s.node)
      .exec()
      .catch(() => undefined);
    this.redis.disconnect();
  }

  private async beat(): Promise<void> {
    try {
      await this.redis.multi().set(this.k.node(this.s.node), String(Date.now()), 'PX', this.s.ttlMs).sadd(this.k.nodes, this.s.node).exec();
    } catch {
      // Redis away: this node keeps serving its own agents; the heartbeat resumes with Redis.
    }
  }

  private async findDead(): Promise<void> {
    try {
      for (const node of await this.redis.smembers(this.k.nodes)) {
        if (node === this.s.node || (await this.redis.exists(this.k.node(node)))) continue;
        const claimed = await this.redis.set(this.k.reap(node), this.s.node, 'PX', this.s.ttlMs * 3, 'NX');
        if (!claimed) continue;
        const agents: AgentInfo[] = [];
        for (const a of (await this.agents()).filter((x) => x.node === node && x.connected)) {
          const out = (await this.redis.eval(DISCONNECT_AGENT, 1, this.k.agents, a.id, node)) as string | null;
          if (out) agents.push(JSON.parse(out) as AgentInfo);
        }
        await this.redis.srem(this.k.nodes, node);
        this.log.warn({ deadNode: node, agents: agents.length }, 'hub node stopped heartbeating; its agents are disconnected');
        this.onDeadNode({ node, agents });
      }
    } catch {
      // checked again next round
    }
  }
}
