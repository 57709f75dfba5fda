import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store } from '@agent-hub/core';
import { RedisCheckpointStore } from './redis-checkpoint-store.ts';
import { HubError } from '@agent-hub/protocol';
import { Redis } from 'ioredis';
import { reportingUnavailable } from '../store-unavailable.ts';
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
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  private readonly probe: { ping(): Promise<void> };
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    keyPrefix: string,
    lastConnectionError: () => Error | undefined = () => undefined,
  ) {
    const keys = new RedisKeys(keyPrefix);
    const scripts = defineStoreScripts(client);
    const isClosed = () => this.closed;
    const translate = (err: unknown) => toRedisStoreError(err, lastConnectionError());
    const guard = <T extends object>(part: T) => reportingUnavailable(part, isClosed, translate);
    this.sessions = guard(new RedisSessionStore(client, keys, scripts));
    this.events = guard(new RedisEventLog(client, keys, scripts));
    this.agents = guard(new RedisAgentStore(client, keys));
    this.kv = guard(new RedisKeyValueStore(client, keys, scripts));
    this.checkpoints = guard(new RedisCheckpointStore(client, keys));
    const ping = async () => {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new HubError('STORE_UNAVAILABLE', 'redis did not answer PING', { reply });
    };
    this.probe = guard({ ping });
  }

  ping(): Promise<void> {
    return this.probe.ping();
  }

  /** Idempotent: later calls wait for the first one. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.client.quit().then(
      () => undefined,
      // Not connected (or the server went away): nothing to say goodbye to.
      () => this.client.disconnect(),
    );
    return this.closing;
  }
}
