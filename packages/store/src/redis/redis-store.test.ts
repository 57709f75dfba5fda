import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { event, message, newSession, T0 } from '../contract/fixtures.ts';
import { openStore } from '../open-store.ts';
import { openRedisStore, RedisStore } from './redis-store.ts';
import { deleteKeysWithPrefix, redisOrSkip, type TestRedis } from './test-redis.ts';

const redis = await redisOrSkip('redis-store tests');
const describeWithRedis = redis ? describe : describe.skip;

describeWithRedis('redis store', () => {
  const server = redis as TestRedis;
  let tests = 0;
  // Each test gets a prefix of its own under the file's, so every store starts empty.
  const freshPrefix = () => `${server.keyPrefix}${++tests}:`;
  const keysUnder = async (prefix: string) => {
    const admin = new Redis(server.url);
    try {
      return await admin.keys(`${prefix}*`);
    } finally {
      admin.disconnect();
    }
  };

  afterAll(async () => {
    await server.clear();
    expect(await keysUnder(server.keyPrefix)).toEqual([]);
  });

  describeStoreContract('redis', async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: server.url, keyPrefix });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await deleteKeysWithPrefix(server.url, keyPrefix);
      },
    };
  });

  it('appends a batch of 500 events in one round trip', async () => {
    const keyPrefix = freshPrefix();
    const client = new Redis(server.url);
    const store = new RedisStore(client, keyPrefix);
    try {
      await store.ping();
      const sent: string[] = [];
      const send = client.sendCommand.bind(client);
      client.sendCommand = (command, stream) => {
        sent.push(command.name);
        return send(command, stream);
      };
      const batch = Array.from({ length: 500 }, (_, i) => event(i + 1, `jobs:${i % 7}`));
      expect(await store.events.appendEvents(batch)).toHaveLength(500);
      expect(sent).toHaveLength(1);
      expect(await store.events.readEvents({ limit: 1000 })).toEqual(batch);
    } finally {
      await store.close();
      await deleteKeysWithPrefix(server.url, keyPrefix);
    }
  });

  it('lets exactly one of two hub nodes (two connections) win a write at the same version', async () => {
    const keyPrefix = freshPrefix();
    const [a, b] = await Promise.all([1, 2].map(() => openRedisStore({ url: server.url, keyPrefix })));
    try {
      const s = await newSession(a!);
      for (let round = 1; round <= 20; round++) {
        const results = await Promise.allSettled([
          a!.sessions.appendMessages(s.id, round, [message(`a${round}`)], T0 + round),
          b!.sessions.appendMessages(s.id, round, [message(`b${round}`)], T0 + round),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      }
      const history = await b!.sessions.getMessages(s.id, 0, 100);
      expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await a!.sessions.getSession(s.id)).toMatchObject({ version: 21, messageCount: 20 });
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await deleteKeysWithPrefix(server.url, keyPrefix);
    }
  });

  it('moves a session between member and state indexes as it changes, and leaves no keys once deleted', async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: server.url, keyPrefix });
    try {
      const s = await newSession(store, { members: ['alpha', 'beta'], messages: [message('hi')] });
      await store.sessions.updateSession(s.id, 1, { members: ['gamma'] }, T0 + 10);
      const listed = async (agent: string) => (await store.sessions.listSessions({ agent }, 10)).items.length;
      expect([await listed('alpha'), await listed('beta'), await listed('gamma')]).toEqual([0, 0, 1]);
      await store.sessions.sweepSessions(T0 + 11, 0, T0 + 20);
      expect((await store.sessions.listSessions({ state: 'active' }, 10)).items).toEqual([]);
      expect((await store.sessions.listSessions({ state: 'idle', agent: 'gamma' }, 10)).items).toHaveLength(1);
      expect(await store.sessions.deleteSession(s.id)).toBe(true);
      expect(await keysUnder(keyPrefix)).toEqual([]);
    } finally {
      await store.close();
      await deleteKeysWithPrefix(server.url, keyPrefix);
    }
  });

  it('pages through more sessions than one index slice, filtering what the index cannot', async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: server.url, keyPrefix });
    try {
      // 450 sessions at one update time (as a sweep leaves them), every 50th created later.
      for (let i = 0; i < 450; i++) await newSession(store, { at: T0 + (i % 50 === 0 ? 10 : 0) });
      await store.sessions.sweepSessions(T0 + 100, 0, T0 + 500);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.sessions.listSessions({ state: 'idle', createdAfter: T0 + 5 }, 4, cursor);
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(9);
      expect([...seen].sort().reverse()).toEqual(seen);
      const all = await store.sessions.listSessions({ updatedAfter: T0 + 499, updatedBefore: T0 + 501 }, 1000);
      expect(all.items).toHaveLength(450);
      expect(all.nextCursor).toBeNull();
    } finally {
      await store.close();
      await deleteKeysWithPrefix(server.url, keyPrefix);
    }
  });

  it('keeps every key it writes under its prefix', async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: server.url, keyPrefix });
    try {
      await newSession(store, { messages: [message('x')] });
      await store.events.appendEvents([event(1, 'a')]);
      await store.events.setAgentOffset('alpha', 1);
      await store.kv.putValue('k', 1, 0);
      expect((await keysUnder(keyPrefix)).length).toBeGreaterThan(5);
      expect(await deleteKeysWithPrefix(server.url, keyPrefix)).toBeGreaterThan(5);
      expect(await store.sessions.countByState()).toEqual({ active: 0, idle: 0, expired: 0 });
      expect(await store.events.maxOffset()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('reports STORE_UNAVAILABLE when the server cannot be reached', async () => {
    const url = new URL(server.url);
    url.port = '1';
    await expect(openRedisStore({ url: url.toString() })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { cause: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('reports STORE_UNAVAILABLE while the connection is down, and recovers when it is back', async () => {
    const target = new URL(server.url);
    const proxy = await startProxy(Number(target.port || 6379), target.hostname);
    const url = new URL(server.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: url.toString(), keyPrefix });
    try {
      await store.kv.putValue('held', 1, 0);
      await proxy.stop();
      await expect(store.kv.getValue('held')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await proxy.start();
      await waitFor(() =>
        store.ping().then(
          () => true,
          () => false,
        ),
      );
      expect(await store.kv.getValue('held')).toEqual({ value: 1, version: 1 });
    } finally {
      await store.close();
      await proxy.stop();
      await deleteKeysWithPrefix(server.url, keyPrefix);
    }
  });

  it('opens through openStore, and refuses without a URL', async () => {
    const store = await openStore({ kind: 'redis', redisUrl: server.url, redisKeyPrefix: freshPrefix() });
    expect(store.kind).toBe('redis');
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(openStore({ kind: 'redis' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

/** A TCP pass-through to Redis that the test can take down and bring back on the same port. */
async function startProxy(targetPort: number, targetHost: string) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = tcpConnect(targetPort, targetHost);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return { port, start, stop };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
