import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { Logger } from '@agent-hub/core';

export interface RedisLink {
  ok(): boolean;
  status(): string;
  /** Called when Redis answers again after an outage, with the time (ms) the outage began. */
  onRecovered(fn: (downSince: number) => void): void;
  close(): Promise<void>;
}

/**
 * With REDIS_URL, rooms and broadcasts span every hub node through @socket.io/redis-adapter.
 * ioredis reconnects on its own; while Redis is away each node keeps serving its own agents.
 */
export function attachRedisAdapter(io: Server, url: string, prefix: string, log: Logger): RedisLink {
  const pub = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  const sub = pub.duplicate();
  let downSince: number | null = null;
  const recovered: Array<(since: number) => void> = [];
  let wasReady = false;
  for (const [name, client] of [['pub', pub], ['sub', sub]] as const) {
    client.on('error', (err) => log.warn({ client: name, err: err.message }, 'redis adapter connection error'));
    client.on('close', () => {
      if (wasReady && downSince === null) {
        downSince = Date.now();
        log.warn({}, 'redis unavailable: serving local agents only until it returns');
      }
    });
    client.on('ready', () => {
      log.info({ client: name }, 'redis adapter connected');
      if (pub.status !== 'ready' || sub.status !== 'ready') return;
      wasReady = true;
      if (downSince === null) return;
      const since = downSince;
      downSince = null;
      log.info({ outageMs: Date.now() - since }, 'redis back: cross-node traffic resumes');
      for (const fn of recovered) fn(since);
    });
  }
  io.adapter(createAdapter(pub, sub, { key: `${prefix}socket.io` }));
  return {
    ok: () => pub.status === 'ready' && sub.status === 'ready',
    status: () => `${pub.status}/${sub.status}`,
    onRecovered: (fn) => void recovered.push(fn),
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
