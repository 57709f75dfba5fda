import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { Logger } from '@agent-hub/core';

export interface RedisLink {
  ok(): boolean;
  status(): string;
  close(): Promise<void>;
}

/**
 * With REDIS_URL, rooms and broadcasts span every hub node through @socket.io/redis-adapter.
 * ioredis reconnects on its own; while Redis is away each node keeps serving its own agents.
 */
export function attachRedisAdapter(io: Server, url: string, prefix: string, log: Logger): RedisLink {
  const pub = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  const sub = pub.duplicate();
  for (const [name, client] of [['pub', pub], ['sub', sub]] as const) {
    client.on('error', (err) => log.warn({ client: name, err: err.message }, 'redis adapter connection error'));
    client.on('ready', () => log.info({ client: name }, 'redis adapter connected'));
  }
  io.adapter(createAdapter(pub, sub, { key: `${prefix}socket.io` }));
  return {
    ok: () => pub.status === 'ready' && sub.status === 'ready',
    status: () => `${pub.status}/${sub.status}`,
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
