import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import type { HubEvent, PublishResult } from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, deleteKeysWithPrefix, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { eventually } from './support/test-hub.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';
import { RedisServerProcess } from './support/redis-server-process.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('multi-node offsets (PostgreSQL)');
const sharedRedis = await redisUrlOrSkip('multi-node offsets (Redis)');
const prefixRoot = `mno${randomBytes(3).toString('hex')}`;
afterAll(async () => {
  await pg?.drop();
  if (sharedRedis) await deleteKeysWithPrefix(sharedRedis, prefixRoot);
});

const token = randomBytes(18).toString('base64url');
const agentSecret = randomBytes(18).toString('base64url');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startNodes(redisUrl: string, ids: string[]): Promise<HubProcess[]> {
  const env = {
    DATABASE_URL: pg!.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `${prefixRoot}${randomBytes(4).toString('hex')}:`,
    NODE_TTL_MS: '2000',
    SESSION_LIMIT: '0',
  };
  const nodes: HubProcess[] = [];
  for (const id of ids) nodes.push(await HubProcess.start({ env: { ...env, NODE_ID: id }, token, agentSecret }));
  return nodes;
}

function agent(node: HubProcess, id: string): Promise<AgentClient> {
  return connectAgent({ url: node.url, agentId: id, token: node.tokens.issue(id), reconnectDelayMs: 100, reconnectDelayMaxMs: 300 });
}

/** A publish that must be answered within a few seconds, whatever Redis is doing. */
async function publishWithin(client: AgentClient, topic: string, payload: unknown, ms = 5000): Promise<PublishResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`publish of ${JSON.stringify(payload)} not answered within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([client.publish(topic, payload), late]);
  } finally {
    clearTimeout(timer);
  }
}

const isIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

const restartSuite = pg && RedisServerProcess.available() ? describe : describe.skip;

restartSuite('two hub nodes while Redis restarts empty', () => {
  let redis: RedisServerProcess;
  let nodes: HubProcess[] = [];
  const clients: AgentClient[] = [];

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    nodes = await startNodes(redis.url, ['rr-a', 'rr-b']);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  it('acks every publish durable within seconds and keeps offsets unique and increasing', async () => {
    const pubs = [await agent(nodes[0]!, 'rr-pub-a'), await agent(nodes[1]!, 'rr-pub-b')];
    clients.push(...pubs);
    const acks: PublishResult[][] = [[], []];
    const publishRound = async (tag: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const round = await Promise.all(pubs.map((p, k) => publishWithin(p, 'restart:x', `${tag}-${k}-${i}`)));
        round.forEach((r, k) => acks[k]!.push(r));
      }
    };
    await publishRound('before', 20);
    const before = Math.max(...acks.flat().map((r) => r.offset));

    await redis.kill();
    await publishRound('down', 10);
    await redis.spawn(); // empty: the counter starts again from nothing
    await publishRound('back', 20);
    await sleep(1500);
    await publishRound('later', 20);

    const all = acks.flat();
    expect(all.filter((r) => !r.durable)).toEqual([]);
    expect(new Set(all.map((r) => r.offset)).size).toBe(all.length);
    for (const mine of acks) expect(isIncreasing(mine.map((r) => r.offset))).toBe(true);
    // Everything numbered from the restart on (fallback ranges, then Redis again) is above what came before.
    expect(Math.min(...acks.flatMap((mine) => mine.slice(20)).map((r) => r.offset))).toBeGreaterThan(before);
    // The log has every acknowledged event under its acknowledged offset.
    const res = await nodes[1]!.api('/api/events?patterns=restart:x&limit=1000');
    const logged = new Map(((await res.json()) as { items: HubEvent[] }).items.map((e) => [e.id, e.offset]));
    for (const r of all) expect(logged.get(r.id)).toBe(r.offset);
  });
});

const moveSuite = pg && sharedRedis ? describe : describe.skip;

moveSuite('a subscriber moving between nodes mid-stream', () => {
  let nodes: HubProcess[] = [];
  const clients: AgentClient[] = [];

  beforeAll(async () => {
    nodes = await startNodes(sharedRedis!, ['mv-a', 'mv-b']);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
  });

  /** The committed watermark a node announces, when it announces one (GET /api/events `watermark`). */
  async function announcedWatermark(node: HubProcess): Promise<number | null> {
    const body = (await (await node.api('/api/events?limit=1')).json()) as { watermark?: unknown };
    return typeof body.watermark === 'number' ? body.watermark : null;
  }

  it('ends with every id acked durable and handled once after dedupe by id', async () => {
    const [a, b] = nodes as [HubProcess, HubProcess];
    const pubs = [await agent(a, 'mv-pub-a'), await agent(b, 'mv-pub-b')];
    clients.push(...pubs);
    const handled = new Map<string, number>();
    let highest = 0;
    const handler = (e: HubEvent) => {
      handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
      highest = Math.max(highest, e.offset);
    };
    const first = await agent(a, 'mv-sub');
    await first.subscribe(['move:*'], handler, { policy: 'full' });

    const PER_NODE = 500;
    const acks: PublishResult[] = [];
    const publishAll = async (p: AgentClient, tag: string) => {
      // A window of 10 in flight per publisher: concurrent, so offsets interleave across nodes.
      for (let i = 0; i < PER_NODE; i += 10) {
        const batch = Array.from({ length: Math.min(10, PER_NODE - i) }, (_, j) => publishWithin(p, 'move:x', `${tag}-${i + j}`, 10_000));
        acks.push(...(await Promise.all(batch)));
      }
    };
    const publishing = Promise.all([publishAll(pubs[0]!, 'a'), publishAll(pubs[1]!, 'b')]);

    await eventually(() => handled.size >= 300, 15_000, 'the first subscriber is mid-stream');
    const watermark = await announcedWatermark(a);
    // Events node A sent before announcing the watermark are on the wire: let them land.
    await sleep(100);
    await first.close();
    await first.idle();
    const fromOffset = watermark === null ? highest : Math.min(highest, watermark);
    const second = await agent(b, 'mv-sub');
    clients.push(second);
    await second.subscribe(['move:*'], handler, { policy: 'full', fromOffset });

    await publishing;
    expect(acks).toHaveLength(2 * PER_NODE);
    expect(acks.filter((r) => !r.durable)).toEqual([]);
    const missing = () => acks.filter((r) => !handled.has(r.id));
    await eventually(() => missing().length === 0, 15_000, 'every event handled').catch(() => {
      throw new Error(
        `${missing().length} events never handled (watermark ${watermark === null ? 'not announced: resumed from the highest offset processed' : watermark}, resumed after ${fromOffset}); first missing offsets ${missing()
          .map((r) => r.offset)
          .sort((x, y) => x - y)
          .slice(0, 10)
          .join(', ')}`,
      );
    });
    expect(handled.size).toBe(2 * PER_NODE);
  });
});
