import type { Store } from '@agent-hub/core';
import { StoreShell } from '@agent-hub/core/store-kit';
import { RedisCheckpointStore } from './redis-checkpoint-store.ts';
import { HubError } from '@agent-hub/protocol';
import { Redis } from 'ioredis';
import { withDriverErrors } from '../store-unavailable.ts';
import { RedisEventLog } from './redis-event-log.ts';
import { DEFAULT_REDIS_KEY_PREFIX, RedisKeys } from './redis-keys.ts';
import { RedisAgentStore, RedisKeyValueStore } from './redis-registry.ts';
import { defineStoreScripts } from './redis-scripts.ts';
import { RedisSessionStore } from './redis-session-store.ts';
import { toRedisStoreError } from './redis-unavailable.ts';

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Put before every key, so hubs or tests can share one server; defaults to 'agent-hub:store:'. */
  keyPrefix?: string;
  /** A command without a reply after this long fails as STORE_UNAVAILABLE; defaults to 10 s. */
  commandTimeoutMs?: number;
}

/** Connects to Redis and returns the store once the server answers; STORE_UNAVAILABLE if not. */
export async function openRedisStore(opts: RedisStoreOptions): Promise<Store> {
  let lastConnectionError: Error | undefined;
  const client = new Redis(opts.url, {
    lazyConnect: true,
    connectionName: 'agent-hub-store',
    connectTimeout: 5000,
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
    // Fail fast while disconnected instead of queueing: the hub has its own retry for session
    // writes, and a command is never sent twice (a replayed append would duplicate messages).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Keep reconnecting in the background, never more than 2 s apart.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Failures reach callers as STORE_UNAVAILABLE from the command that met them; without a
  // listener ioredis would print every failed reconnect attempt.
  client.on('error', (err: Error) => {
    lastConnectionError = err;
  });
  client.on('ready', () => {
    lastConnectionError = undefined;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw toRedisStoreError(err, lastConnectionError);
  }
  return new RedisStore(client, opts.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX, () => lastConnectionError);
}

/**
 * The store port on one Redis server (standalone or behind Sentinel, not Redis Cluster). Open it
 * with `openRedisStore`; the constructor takes a client configured by the caller (tests use it to
 * watch the commands sent), and `close()` quits that client.
 */
export class RedisStore extends StoreShell {
  readonly kind = 'redis' as const;

  constructor(client: Redis, keyPrefix: string, lastConnectionError: () => Error | undefined = () => undefined) {
    const keys = new RedisKeys(keyPrefix);
    const scripts = defineStoreScripts(client);
    super({
      sessions: new RedisSessionStore(client, keys, scripts),
      events: new RedisEventLog(client, keys, scripts),
      agents: new RedisAgentStore(client, keys),
      kv: new RedisKeyValueStore(client, keys, scripts),
      checkpoints: new RedisCheckpointStore(client, keys),
      ping: async () => {
        const reply = await client.ping();
        if (reply !== 'PONG') throw new HubError('STORE_UNAVAILABLE', 'redis did not answer PING', { reply });
      },
      release: () =>
        client.quit().then(
          () => undefined,
          // Not connected (or the server went away): nothing to say goodbye to.
          () => client.disconnect(),
        ),
      translate: withDriverErrors((err) => toRedisStoreError(err, lastConnectionError())),
    });
  }
}
