import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { Logger } from '@agent-hub/core';
import { EventRelay } from './event-relay.ts';
import { nodesKey } from './node-registry.ts';

export interface RedisLink {
  ok(): boolean;
  status(): string;
  /** Called when Redis answers again after an outage, with the time (ms) the outage began. */
  onRecovered(fn: (downSince: number) => void): void;
  /** Published events to the other nodes, a turn's events per message (see EventRelay). */
  relay: EventRelay;
  close(): Promise<void>;
}

/** A QUIT unanswered this long is given up: shutdown has a drain limit to keep. */
const QUIT_TIMEOUT_MS = 1000;

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * With REDIS_URL, rooms and broadcasts span every hub node through @socket.io/redis-adapter.
 * ioredis reconnects on its own; while Redis is away each node keeps serving its own agents.
 */
export function attachRedisAdapter(io: Server, url: string, prefix: string, node: string, log: Logger): RedisLink {
  // Auto-pipelining gathers the commands of one event-loop turn into one write, but PUBLISH is left
  // out of it: events cross nodes through the event relay, already one PUBLISH per turn, and
  // auto-pipelining would only hold that one back for another turn (and one node's publishes must
  // leave in the order they were made, relay batches and adapter broadcasts alike).
  const pub = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: false,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: ['publish'],
  });
  const sub = pub.duplicate({ enableAutoPipelining: false });
  // The Socket.IO adapter publishes without handling the result, so a broadcast that races the
  // shutdown (an agent leaving as the link closes) rejected unhandled ("Connection is closed.").
  // Such a broadcast has nobody left to reach; callers that await a publish still see its error.
  const publish = pub.publish.bind(pub);
  pub.publish = ((...args: Parameters<typeof publish>) => {
    const sent = publish(...args);
    sent.catch(() => undefined);
    return sent;
  }) as typeof pub.publish;
  let downSince: number | null = null;
  const recovered: Array<(since: number) => void> = [];
  let wasReady = false;
  for (const [name, client] of [
    ['pub', pub],
    ['sub', sub],
  ] as const) {
    // ioredis retries every few hundred ms: warn once per outage, the rest at debug.
    let warned = false;
    client.on('error', (err) => {
      log[warned ? 'debug' : 'warn']({ client: name, err: err.message }, 'redis adapter connection error');
      warned = true;
    });
    client.on('ready', () => (warned = false));
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
  const relay = new EventRelay({
    pub,
    sub,
    channel: `${prefix}events`,
    nodesKey: nodesKey(prefix),
    relayKey: `${prefix}relay-nodes`,
    node,
    log,
  });
  return {
    relay,
    ok: () => pub.status === 'ready' && sub.status === 'ready',
    status: () => `${pub.status}/${sub.status}`,
    onRecovered: (fn) => void recovered.push(fn),
    async close() {
      // QUIT waits for a connection that may never come back; without one, drop the clients at once.
      const quit = (c: Redis) => (c.status === 'ready' ? bounded(c.quit(), QUIT_TIMEOUT_MS).catch(() => c.disconnect()) : c.disconnect());
      await Promise.allSettled([quit(pub), quit(sub)]);
    },
  };
}
