import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { io as ioClient } from 'socket.io-client';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { AGENTS_NAMESPACE, OPERATORS_NAMESPACE, PROTOCOL_VERSION, type HubEvent } from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, deleteKeysWithPrefix, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { eventually } from './support/test-hub.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('event relay between hub nodes (PostgreSQL)');
const redisUrl = await redisUrlOrSkip('event relay between hub nodes (Redis)');
const suite = pg && redisUrl ? describe : describe.skip;
const prefix = `relay${randomBytes(4).toString('hex')}:`;

/**
 * A hub node of an earlier version, as the rest of the cluster sees it: registered in the node
 * set, on the Socket.IO Redis adapter, not listening to the event relay. Its one "agent" sits in
 * the topic room `t:relay:*` and records the events broadcast to it.
 */
async function olderNode() {
  const pub = new Redis(redisUrl!);
  const sub = pub.duplicate();
  const http = createServer();
  const server = new Server(http, { adapter: createAdapter(pub, sub, { key: `${prefix}socket.io` }) });
  server.of(AGENTS_NAMESPACE).on('connection', (s) => void s.join('t:relay:*'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const got: HubEvent[] = [];
  const client = ioClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}${AGENTS_NAMESPACE}`, { transports: ['websocket'] });
  client.on('event', (e: HubEvent) => void got.push(e));
  await new Promise<void>((r) => client.once('connect', () => r()));
  await pub.set(`${prefix}node:older`, String(Date.now()), 'PX', 120_000);
  await pub.sadd(`${prefix}nodes`, 'older');
  return {
    got,
    async leave() {
      client.close();
      await pub.del(`${prefix}node:older`);
      await pub.srem(`${prefix}nodes`, 'older');
      await new Promise((r) => server.close(() => r(null)));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/** Every message on the relay's channel. */
async function tapRelay() {
  const r = new Redis(redisUrl!);
  const messages: HubEvent[][] = [];
  r.on('message', (_c: string, m: string) => void messages.push(JSON.parse(m.slice(m.indexOf('\n') + 1)) as HubEvent[]));
  await r.subscribe(`${prefix}events`);
  return { messages, close: () => r.disconnect() };
}

async function batchingGauge(hub: HubProcess): Promise<number> {
  const text = await (await hub.api('/metrics')).text();
  return Number(/^agenthub_event_relay_batching (\S+)$/m.exec(text)?.[1]);
}

suite('events crossing hub nodes', () => {
  const nodes: HubProcess[] = [];
  const clients: AgentClient[] = [];
  const token = randomBytes(18).toString('base64url');
  const agentSecret = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    const env = { DATABASE_URL: pg!.url, REDIS_URL: redisUrl!, REDIS_PREFIX: prefix, NODE_TTL_MS: '3000', SESSION_LIMIT: '0' };
    for (const id of ['relay-a', 'relay-b']) nodes.push(await HubProcess.start({ env: { ...env, NODE_ID: id }, token, agentSecret }));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await pg?.drop();
    if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefix);
  });

  /** A subscriber on a plain socket.io-client: no dedupe by id, so an event delivered twice shows. */
  const rawSubscriber = async (node: number, id: string, pattern: string) => {
    const socket = ioClient(nodes[node]!.url + AGENTS_NAMESPACE, {
      auth: { agentId: id, token: nodes[0]!.tokens.issue(id), protocol: PROTOCOL_VERSION },
      transports: ['websocket'],
      forceNew: true,
    });
    const got: HubEvent[] = [];
    socket.on('event', (e: HubEvent) => void got.push(e));
    // Protocol 3: live events accepted together arrive as one `events` message.
    socket.on('events', (list: HubEvent[]) => void got.push(...list));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    for (const [event, payload] of [
      ['agent:register', { name: id }],
      ['event:subscribe', { patterns: [pattern] }],
    ] as const) {
      const ack = (await socket.timeout(10_000).emitWithAck(event, payload)) as { ok: boolean };
      expect(ack.ok).toBe(true);
    }
    return { got, close: () => socket.close() };
  };

  const agentOn = async (node: number, id: string) => {
    const client = await connectAgent({ url: nodes[node]!.url, agentId: id, token: nodes[0]!.tokens.issue(id) });
    clients.push(client);
    return client;
  };

  it('carries a burst to the other node in a few relay messages, each subscriber getting every event once, in order', async () => {
    const pub = await agentOn(0, 'burst-pub');
    const sub = await rawSubscriber(1, 'burst-sub', 'relay:burst');
    const got = sub.got;
    // A dashboard on the other node: its live stream shows events published on any node.
    const dashboard = ioClient(nodes[1]!.url + OPERATORS_NAMESPACE, { auth: { token }, transports: ['websocket'], forceNew: true });
    const streamed: HubEvent[] = [];
    dashboard.on('event:stream', (e: HubEvent) => e.topic === 'relay:burst' && streamed.push(e));
    await new Promise<void>((r) => dashboard.once('connect', () => r()));
    const tap = await tapRelay();
    try {
      // Sent without waiting: they reach the hub together and are numbered and delivered in few turns.
      const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publish('relay:burst', i)));
      await eventually(() => got.length === 200, 10_000, 'the burst at the other node');
      expect(got.map((e) => e.payload)).toEqual(acks.map((_, i) => i));
      await eventually(() => tap.messages.flat().length === 200, 5000, 'the burst on the relay');
      expect(tap.messages.length).toBeLessThan(50);
      expect(tap.messages.flat().map((e) => e.id)).toEqual(acks.map((a) => a.id));
      // Nothing arrives twice (a copy through the adapter as well would).
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toHaveLength(200);
      expect(streamed.map((e) => e.payload)).toEqual(acks.map((_, i) => i));
    } finally {
      tap.close();
      sub.close();
      dashboard.close();
    }
  });

  it('broadcasts through the adapter while a node of an earlier version is in the cluster, losing nothing across the switches', async () => {
    const pub = await agentOn(0, 'mixed-pub');
    const sub = await rawSubscriber(1, 'mixed-sub', 'relay:mixed');
    const got = sub.got;
    const older = await olderNode();
    const tap = await tapRelay();
    const sent: unknown[] = [];
    const publish = async (payload: string) => {
      sent.push(payload);
      await pub.publish('relay:mixed', payload);
    };
    try {
      // The hub checks who listens every second: publish until the older node hears one.
      for (let i = 0; older.got.length === 0; i++) {
        if (i > 100) throw new Error('the older node never received an event');
        await publish(`probe-${i}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const relayedBefore = tap.messages.length;
      // Operators see the fall-back on /metrics.
      expect(await batchingGauge(nodes[0]!)).toBe(0);
      for (let i = 0; i < 20; i++) await publish(`mixed-${i}`);
      await eventually(
        () => older.got.filter((e) => String(e.payload).startsWith('mixed-')).length === 20,
        5000,
        'all 20 at the older node',
      );
      expect(older.got.filter((e) => String(e.payload).startsWith('mixed-')).map((e) => e.payload)).toEqual(
        Array.from({ length: 20 }, (_, i) => `mixed-${i}`),
      );
      // Nothing went over the relay meanwhile.
      expect(tap.messages.length).toBe(relayedBefore);

      // The older node leaves: back to the relay.
      await older.leave();
      for (let i = 0; tap.messages.length === relayedBefore; i++) {
        if (i > 100) throw new Error('the hub never went back to the relay');
        await publish(`after-${i}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await batchingGauge(nodes[0]!)).toBe(1);
      // The subscriber on the other node got every event exactly once, in order, across both switches.
      await eventually(() => got.length === sent.length, 5000, 'every event at the subscriber');
      expect(got.map((e) => e.payload)).toEqual(sent);
    } finally {
      tap.close();
      sub.close();
    }
  });
});
