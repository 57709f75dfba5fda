import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis; TEST_REDIS_URL overrides it. */
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** A prefix of this test file's own; every key it writes must start with it. */
  keyPrefix: string;
  /** Deletes every key under `keyPrefix`. */
  clear(): Promise<void>;
}

function testRedisUrl(): string {
  // Test-only helper: the one place outside configuration that reads the environment.
  return process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
}

/** A random key prefix on a reachable Redis, so test files can run in parallel on one server. */
export async function createTestRedis(url: string = testRedisUrl()): Promise<TestRedis> {
  const client = connect(url);
  let socketError: Error | undefined;
  client.on('error', (err: Error) => {
    socketError = err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw socketError ?? err;
  } finally {
    client.disconnect();
  }
  const keyPrefix = `agenthub-test:${randomBytes(6).toString('hex')}:`;
  return {
    url,
    keyPrefix,
    clear: async () => {
      await deleteKeysWithPrefix(url, keyPrefix);
    },
  };
}

/**
 * A test Redis, or null when it cannot be reached: then the caller skips its suite with a loud
 * warning, except under CI (CI=true), where an unreachable Redis is a failure.
 */
export async function redisOrSkip(suite: string): Promise<TestRedis | null> {
  try {
    return await createTestRedis();
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`\n!!! Redis unreachable (${reason}): SKIPPING ${suite}\n`);
    return null;
  }
}

/** SCAN + DEL of every key starting with `prefix`; returns how many were deleted. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = connect(url);
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

function connect(url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  return client;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
