import { Redis } from 'ioredis';

/**
 * The Redis for integration tests (TEST_REDIS_URL or 127.0.0.1:6379), or null with a loud
 * warning when it is not reachable; under CI=true a missing Redis fails the suite instead.
 */
export async function redisUrlOrSkip(suite: string): Promise<string | null> {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return url;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`${suite}: Redis at ${url} is not reachable (${(err as Error).message}); CI needs it`);
    console.warn(`\n!!! SKIPPING ${suite}: Redis at ${url} is not reachable (${(err as Error).message})\n`);
    return null;
  } finally {
    probe.disconnect();
  }
}
