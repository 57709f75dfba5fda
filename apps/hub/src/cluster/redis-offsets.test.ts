import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@agent-hub/core';
import { deleteKeysWithPrefix } from '@agent-hub/store';
import { RedisOffsets, type RedisOffsetsOptions } from './redis-offsets.ts';
import { FALLBACK_SPAN } from './fallback-range.ts';
import { redisUrlOrSkip } from '../../test/support/redis-or-skip.ts';
import { RedisServerProcess } from '../../test/support/redis-server-process.ts';
import { eventually } from '../../test/support/test-hub.ts';

const redisUrl = await redisUrlOrSkip('RedisOffsets against a real Redis');
const prefixRoot = `offsets-test:${randomBytes(4).toString('hex')}:`;
const open: RedisOffsets[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});
afterAll(async () => {
  if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefixRoot);
});

/** A fresh key prefix: one cluster per test. */
const cluster = () => `${prefixRoot}${randomBytes(4).toString('hex')}:event-offset`;

async function allocator(url: string, key: string, node: string, extra: Partial<RedisOffsetsOptions> = {}): Promise<RedisOffsets> {
  const o = new RedisOffsets({ url, key, node, logMax: async () => 0, resetHoldMs: 100, pollMs: 20, logger: silentLogger, ...extra });
  open.push(o);
  await o.start(0);
  return o;
}

/** n requests in one turn of the event loop. */
const take = (o: RedisOffsets, n: number) => Promise.all(Array.from({ length: n }, () => o.next()));
const isIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const suite = redisUrl ? describe : describe.skip;

suite('RedisOffsets on one Redis', () => {
  it('hands out unique offsets across two nodes, increasing on each, resolved in request order', async () => {
    const key = cluster();
    const [a, b] = await Promise.all([allocator(redisUrl!, key, 'node-a'), allocator(redisUrl!, key, 'node-b')]);
    const got: Record<'a' | 'b', number[]> = { a: [], b: [] };
    const rounds = [];
    for (let i = 0; i < 30; i++) {
      for (const [name, o] of [
        ['a', a],
        ['b', b],
      ] as const) {
        rounds.push(...Array.from({ length: 7 }, () => o.next().then((x) => got[name].push(x))));
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(rounds);
    expect(got.a).toHaveLength(210);
    expect(new Set([...got.a, ...got.b]).size).toBe(420);
    // Pushed as each promise resolved: resolution order is request order, and offsets increase.
    expect(isIncreasing(got.a)).toBe(true);
    expect(isIncreasing(got.b)).toBe(true);
  });

  it('starts a new cluster at 1, and above the log with a margin when Redis has lost its data', async () => {
    const fresh = await allocator(redisUrl!, cluster(), 'node-a');
    expect(await fresh.next()).toBe(1);
    expect(fresh.gaps()).toBe(0);
    const o = new RedisOffsets({
      url: redisUrl!,
      key: cluster(),
      node: 'node-a',
      logMax: async () => 500,
      resetHoldMs: 100,
      logger: silentLogger,
    });
    open.push(o);
    await o.start(500); // the log has events, Redis has nothing: it lost its data
    expect(await o.next()).toBe(500 + 1_000_000 + 1);
    expect(o.gaps()).toBe(1_000_000);
  });

  it('serves the requests of one tick with one script call', async () => {
    const a = await allocator(redisUrl!, cluster(), 'node-a', { pollMs: 60_000 });
    await a.next(); // the scripts are loaded
    const sent = vi.spyOn(a.client, 'sendCommand');
    const offsets = await take(a, 50);
    const scriptCalls = sent.mock.calls.filter(([c]) => ['eval', 'evalsha'].includes((c as { name: string }).name));
    expect(scriptCalls).toHaveLength(1);
    expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => offsets[0]! + i));
  });

  it('keeps the watermark below an offset another node has not settled, and moves past once it is', async () => {
    const key = cluster();
    const a = await allocator(redisUrl!, key, 'node-a');
    const b = await allocator(redisUrl!, key, 'node-b');
    const pending = await a.next();
    const fromB = await take(b, 20);
    b.settled(fromB);
    await sleep(300);
    expect(b.watermark()).toBeLessThan(pending);
    expect(a.watermark()).toBeLessThan(pending);
    a.settled([pending]);
    const top = Math.max(...fromB);
    await eventually(() => a.watermark() >= top && b.watermark() >= top, 3000, 'watermark past every settled offset');
  });

  it('lets the watermark pass the ranges of a node declared dead', async () => {
    const key = cluster();
    const dead = await allocator(redisUrl!, key, 'node-dead');
    const alive = await allocator(redisUrl!, key, 'node-alive');
    const lost = await dead.next();
    dead.client.disconnect(); // it stops, mid-batch, without settling
    const mine = await take(alive, 5);
    alive.settled(mine);
    await sleep(200);
    expect(alive.watermark()).toBeLessThan(lost);
    expect(await alive.releaseNode('node-dead')).toBe(1);
    await eventually(() => alive.watermark() >= Math.max(...mine), 3000, 'watermark past the dead node');
  });

  it('sweeps the ranges of nodes that are not alive, keeping its own', async () => {
    const key = cluster();
    const gone = await allocator(redisUrl!, key, 'node-gone');
    const me = await allocator(redisUrl!, key, 'node-me');
    await gone.next();
    const mine = await me.next();
    gone.client.disconnect();
    expect(await me.releaseAbsentNodes(['node-other'])).toBe(1);
    await sleep(150);
    expect(me.watermark()).toBe(mine - 1);
  });

  it('re-adds its ranges when Redis loses its keys without dropping the connection', async () => {
    const key = cluster();
    const a = await allocator(redisUrl!, key, 'node-a', { resetHoldMs: 300 });
    const b = await allocator(redisUrl!, key, 'node-b', { resetHoldMs: 300 });
    const unsettled = await a.next();
    const before = await take(b, 5);
    b.settled(before);
    await deleteKeysWithPrefix(redisUrl!, key); // a FLUSHALL, as far as this cluster can tell
    const after = await take(b, 5);
    expect(Math.min(...after)).toBeGreaterThan(Math.max(...before, unsettled));
    b.settled(after);
    await sleep(800); // past the grace period
    expect(b.watermark()).toBeLessThan(unsettled);
    a.settled([unsettled]);
    await eventually(() => b.watermark() >= Math.max(...after), 3000, 'watermark past everything settled');
  });

  it('frees its ranges on a clean stop', async () => {
    const key = cluster();
    const leaving = await allocator(redisUrl!, key, 'node-leaving');
    const staying = await allocator(redisUrl!, key, 'node-staying');
    const unsettled = await leaving.next();
    await leaving.close();
    await eventually(() => staying.watermark() >= unsettled, 3000, 'watermark past the stopped node');
  });
});

const ownRedis = RedisServerProcess.available() ? describe : describe.skip;

ownRedis('RedisOffsets when Redis goes away or restarts empty (throw-away redis-server)', () => {
  let server: RedisServerProcess | null = null;
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    await server?.stop();
    server = null;
  });

  it('numbers from non-colliding fallback ranges while Redis is down, above everything before', async () => {
    server = await RedisServerProcess.start();
    const key = 'agent-hub:event-offset';
    const a = await allocator(server.url, key, 'node-a');
    const b = await allocator(server.url, key, 'node-b');
    const before = [...(await take(a, 30)), ...(await take(b, 30))];
    await server.kill();
    await eventually(() => !a.online && !b.online, 2000, 'both nodes notice');
    const during = { a: [] as number[], b: [] as number[] };
    for (let i = 0; i < 10; i++) {
      const [xa, xb] = await Promise.all([take(a, 10), take(b, 10)]);
      during.a.push(...xa);
      during.b.push(...xb);
    }
    const all = [...before, ...during.a, ...during.b];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...during.a, ...during.b)).toBeGreaterThan(Math.max(...before));
    // Ranges of different slots are a span apart.
    expect(Math.abs(during.a[0]! - during.b[0]!)).toBeGreaterThanOrEqual(FALLBACK_SPAN - 1000);
    expect(isIncreasing(during.a) && isIncreasing(during.b)).toBe(true);
  });

  it('keeps offsets unique and increasing across a Redis restart that lost every key, holding the watermark meanwhile', async () => {
    server = await RedisServerProcess.start();
    const key = 'agent-hub:event-offset';
    const holdMs = 1500;
    const a = await allocator(server.url, key, 'node-a', { resetHoldMs: holdMs });
    const b = await allocator(server.url, key, 'node-b', { resetHoldMs: holdMs });
    const seq = { a: [] as number[], b: [] as number[] };
    const more = async (who: RedisOffsets[] = [a, b]) => {
      for (const o of who) {
        const xs = await take(o, 20);
        seq[o === a ? 'a' : 'b'].push(...xs);
        o.settled(xs);
      }
    };
    await more();
    const unsettled = await a.next(); // in flight across the restart
    seq.a.push(unsettled);
    await more();
    await eventually(() => b.watermark() === unsettled - 1, 3000, 'watermark just below the unsettled offset');
    const before = Math.max(...seq.a, ...seq.b);

    await server.kill();
    await eventually(() => !a.online && !b.online, 2000, 'both nodes notice');
    await more(); // from the fallback ranges
    a.client.disconnect(); // node a will be slow to come back and re-add its range
    await server.spawn(); // empty: no counter, no in-flight set, no epoch
    await eventually(() => b.online, 5000, 'node b re-synced');
    const syncedAt = Date.now();
    await more([b]);
    await sleep(400);
    // Redis alone would now say "the counter" (nothing in flight): the grace period holds it.
    expect(b.watermark()).toBe(unsettled - 1);
    await a.client.connect();
    await eventually(() => a.online, 5000, 'node a re-synced');
    await sleep(Math.max(0, holdMs + 300 - (Date.now() - syncedAt)));
    // Past the grace period, node a's re-added range holds it.
    expect(b.watermark()).toBe(unsettled - 1);
    a.settled([unsettled]);
    await more();
    const all = [...seq.a, ...seq.b];
    expect(new Set(all).size).toBe(all.length);
    expect(isIncreasing(seq.a) && isIncreasing(seq.b)).toBe(true);
    expect(all.filter((x) => x <= before)).toHaveLength(81);
    const top = Math.max(...all);
    await eventually(() => a.watermark() >= top && b.watermark() >= top, 5000, 'watermark moves again');
    expect(b.gaps()).toBeGreaterThanOrEqual(1_000_000);
  });
});
