import { Redis } from 'ioredis';
import { HubError } from '@agent-hub/protocol';
import type { Logger, OffsetAllocator } from '@agent-hub/core';

/** Offsets this node may use on its own while Redis is unreachable. */
const FALLBACK_BLOCK = 100_000;

const RAISE_TO = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
if cur < want then redis.call('SET', KEYS[1], want) return want end
return cur`;

/**
 * Event offsets for several hub nodes sharing one log: one Redis INCR per event, so offsets are
 * unique and increase in the order they are handed out across the cluster. Each node also keeps a
 * reserved block, used only while Redis is down, so it can go on numbering its own events without
 * colliding with anyone (their order relative to other nodes is then only per node).
 */
export class RedisOffsets implements OffsetAllocator {
  private readonly redis: Redis;
  private last = 0;
  private fallback: { next: number; end: number } | null = null;
  private reserving: Promise<void> | null = null;

  constructor(
    url: string,
    private readonly key: string,
    private readonly log: Logger,
  ) {
    // No offline queue: while Redis is away a publish must not hang waiting for it. Auto-pipelining
    // sends the INCRs of one event-loop tick as one write, which is what keeps 10k/s cheap.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, enableAutoPipelining: true });
    this.redis.on('error', () => undefined);
  }

  async start(logMax: number): Promise<void> {
    await this.redis.connect().catch((err) => this.log.warn({ err: String(err) }, 'redis offsets: not reachable at start'));
    this.last = logMax;
    try {
      this.last = Number(await this.redis.eval(RAISE_TO, 1, this.key, logMax));
      await this.reserveFallback();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'redis offsets: continuing on a local range until Redis answers');
      // Far above anything Redis handed out recently, so it cannot collide with other nodes.
      this.fallback = { next: logMax + 1_000_000_000 + 1, end: logMax + 1_000_000_000 + FALLBACK_BLOCK };
    }
  }

  async next(): Promise<number> {
    try {
      this.last = await this.redis.incr(this.key);
      if (!this.fallback) void this.reserveFallback();
      return this.last;
    } catch {
      const f = this.fallback;
      if (!f || f.next > f.end) throw new HubError('STORE_UNAVAILABLE', 'event offsets unavailable: Redis is down and the reserved range is used up');
      this.fallback = f.next === f.end ? null : { next: f.next + 1, end: f.end };
      this.last = f.next;
      return f.next;
    }
  }

  current(): number {
    return this.last;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private reserveFallback(): Promise<void> {
    this.reserving ??= this.redis
      .incrby(this.key, FALLBACK_BLOCK)
      .then((end) => {
        this.fallback = { next: end - FALLBACK_BLOCK + 1, end };
      })
      .catch(() => undefined)
      .finally(() => (this.reserving = null));
    return this.reserving;
  }
}
