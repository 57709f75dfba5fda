import { Redis } from 'ioredis';
import type { Logger } from '@agent-hub/core';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * A lease in Redis (SET NX PX, renewed by its holder): at most one node holds it at a time, and
 * when the holder dies another takes it over after the TTL. Used so that one node restores the
 * group conversations when the previous holder died (each group's state itself is compare-and-set);
 * the timers of any other dead node are re-armed by the survivor that reaps it.
 */
export class LeaderLease {
  private readonly redis: Redis;
  private timer: ReturnType<typeof setInterval> | null = null;
  private held = false;
  private onAcquired: () => Promise<unknown> | void = () => undefined;

  constructor(
    url: string,
    private readonly key: string,
    private readonly node: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  /** Starts competing for the lease; `onAcquired` runs (and is awaited) each time this node takes it. */
  async start(onAcquired: () => Promise<unknown> | void): Promise<void> {
    this.onAcquired = onAcquired;
    await this.redis.connect().catch(() => undefined);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  get isHolder(): boolean {
    return this.held;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.held)
      await this.redis
        .eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, this.key, this.node)
        .catch(() => undefined);
    this.redis.disconnect();
  }

  private async tick(): Promise<void> {
    try {
      if (this.held) {
        this.held = Number(await this.redis.eval(RENEW, 1, this.key, this.node, this.ttlMs)) === 1;
        if (!this.held) this.log.warn({ key: this.key }, 'lease lost');
        return;
      }
      this.held = (await this.redis.set(this.key, this.node, 'PX', this.ttlMs, 'NX')) === 'OK';
      if (this.held) {
        this.log.info({ key: this.key }, 'lease acquired');
        await this.onAcquired();
      }
    } catch {
      // Redis away: a held lease simply expires; try again next round.
    }
  }
}
