import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { connectAgent, joinGroup, type AgentClient } from '@agent-hub/sdk';
import {
  AGENTS_NAMESPACE,
  OPERATORS_NAMESPACE,
  PROTOCOL_VERSION,
  type AgentInfo,
  type GroupTurnGrant,
  type HealthTransition,
  type HubEvent,
} from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, deleteKeysWithPrefix, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { eventually } from './support/test-hub.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('multi-node hubs (PostgreSQL)');
const redisUrl = await redisUrlOrSkip('multi-node hubs (Redis)');
const suite = pg && redisUrl ? describe : describe.skip;
// Every cluster in this file uses a key prefix starting with this one, deleted at the end.
const prefixRoot = `mn${randomBytes(3).toString('hex')}`;
afterAll(async () => {
  await pg?.drop();
  if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefixRoot);
});

/**
 * The health events published on `agent:<id>`, as a subscriber receives them. `settle` makes the
 * count final: once every live node has seen the transition (its history) it publishes a marker
 * on the same topic, and each node delivers its own events in order, so a subscriber holding every
 * node's marker holds every health event those nodes published for that transition.
 */
async function healthEventsOf(subscriber: AgentClient, agentId: string) {
  const events: Array<HealthTransition & { type: 'health' }> = [];
  const markers = new Set<string>();
  await subscriber.subscribe([`agent:${agentId}`], (e) => {
    const p = e.payload as { type?: string; node?: string };
    if (p.type === 'health') events.push(e.payload as HealthTransition & { type: 'health' });
    if (p.type === 'marker' && p.node) markers.add(p.node);
  });
  return {
    events,
    count: (to: string) => events.filter((t) => t.to === to).length,
    async settle(live: HubProcess[], to: string): Promise<void> {
      for (const node of live) {
        await eventually(
          async () => {
            const res = await node.api(`/api/agents/${agentId}/health`);
            return res.ok && ((await res.json()) as { history: HealthTransition[] }).history.some((t) => t.to === to);
          },
          10_000,
          `${node.url} seeing ${agentId} ${to}`,
        );
        const marker = await node.api('/api/events', {
          method: 'POST',
          body: JSON.stringify({ topic: `agent:${agentId}`, payload: { type: 'marker', node: node.url } }),
        });
        expect(marker.status).toBe(201);
      }
      await eventually(() => live.every((n) => markers.has(n.url)), 10_000, 'a marker from every live node');
    },
  };
}

/** An agent on a plain socket.io-client (no SDK: no re-join after a reconnect) that records its turns. */
async function rawAgent(url: string, agentId: string, token: string) {
  const turns: GroupTurnGrant[] = [];
  const socket: Socket = io(url + AGENTS_NAMESPACE, {
    auth: { agentId, token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.on('group:turn', (t: GroupTurnGrant) => void turns.push(t));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const call = async (event: string, payload: unknown) => {
    const ack = (await socket.timeout(10_000).emitWithAck(event, payload)) as { ok: boolean; data?: unknown; error?: unknown };
    if (!ack.ok) throw new Error(`${event} refused: ${JSON.stringify(ack.error)}`);
    return ack.data;
  };
  await call('agent:register', { name: agentId });
  return { socket, turns, call };
}

suite('several hub nodes on one PostgreSQL and one Redis', () => {
  const nodes: HubProcess[] = [];
  const clients: AgentClient[] = [];
  const token = randomBytes(18).toString('base64url');
  const agentSecret = randomBytes(18).toString('base64url');
  const env = () => ({
    DATABASE_URL: pg!.url,
    REDIS_URL: redisUrl!,
    REDIS_PREFIX: `${prefixRoot}${randomBytes(4).toString('hex')}:`,
    NODE_TTL_MS: '3000',
    SESSION_LIMIT: '0',
  });

  beforeAll(async () => {
    const shared = env();
    for (const id of ['node-a', 'node-b', 'node-c']) {
      nodes.push(await HubProcess.start({ env: { ...shared, NODE_ID: id }, token, agentSecret }));
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const [a, b, c] = [0, 1, 2];
  const agentOn = async (first: number, id: string, others: number[] = []) => {
    const client = await connectAgent({
      url: [nodes[first]!.url, ...others.map((i) => nodes[i]!.url)],
      agentId: id,
      token: nodes[0]!.tokens.issue(id),
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 300,
    });
    clients.push(client);
    return client;
  };

  it('routes events between agents on different nodes, with cluster-wide offsets', async () => {
    const pub = await agentOn(a, 'x-pub');
    const sub = await agentOn(b, 'x-sub');
    const got: HubEvent[] = [];
    await sub.subscribe(['cross:*'], (e) => void got.push(e));
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await pub.publish('cross:x', i));
    await eventually(() => got.length === 20, 5000, 'cross-node delivery');
    expect(got.map((e) => e.payload)).toEqual(acks.map((_, i) => i));
    const offsets = acks.map((r) => r.offset);
    expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
    const pubC = await agentOn(c, 'x-pub-c');
    const fromC = await pubC.publish('cross:x', 'from c');
    expect(fromC.offset).toBeGreaterThan(offsets[offsets.length - 1]!);
  });

  it('publishes each health transition once, whichever nodes hear of it', async () => {
    const watcher = await agentOn(a, 'once-watch');
    const feed = await healthEventsOf(watcher, 'once-1');
    const agent = await agentOn(b, 'once-1');
    await agent.close();
    await feed.settle(nodes, 'disconnected');
    expect(feed.events.map((t) => `${t.from ?? '-'} -> ${t.to}`)).toEqual([
      '- -> connecting',
      'connecting -> healthy',
      'healthy -> disconnected',
    ]);
  });

  it('closes an agent\u2019s old connection on one node once it registers on another, and publishes no failure for it', async () => {
    const watcher = await agentOn(c, 'moved-watch');
    const feed = await healthEventsOf(watcher, 'moved-1');
    // The old connection stays open (a client whose network dropped, say, before node a noticed).
    const old = await rawAgent(nodes[a]!.url, 'moved-1', nodes[0]!.tokens.issue('moved-1'));
    const told: Array<{ code: string; message: string }> = [];
    old.socket.on('hub:error', (e: { code: string; message: string }) => void told.push(e));
    const closed = new Promise<string>((resolve) => old.socket.on('disconnect', (reason) => resolve(reason)));
    await eventually(() => feed.count('healthy') === 1, 5000, 'first connection healthy');
    const moved = await agentOn(b, 'moved-1');
    // Closed by node a as a stale socket of its own, well before a probe could find it silent.
    const reason = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
    expect(reason).toBe('io server disconnect');
    expect(told).toEqual([{ code: 'AGENT_UNAUTHORIZED', message: 'replaced by a newer connection of the same agent on node node-b' }]);
    await eventually(
      async () => ((await (await nodes[a]!.api('/api/agents/moved-1/health')).json()) as { agent: AgentInfo }).agent.node === 'node-b',
      5000,
      'node a sees the agent on node b',
    );
    await moved.publish('moved:x', 'still here');
    await moved.close();
    await feed.settle(nodes, 'disconnected');
    // Two connections, one end: the old one's close is nobody's failure.
    expect(feed.events.map((t) => `${t.from ?? '-'} -> ${t.to}`)).toEqual([
      '- -> connecting',
      'connecting -> healthy',
      '- -> connecting',
      'connecting -> healthy',
      'healthy -> disconnected',
    ]);
  });

  it('keeps a group conversation going when a node is SIGKILLed mid-conversation', async () => {
    const g1 = await agentOn(a, 'g1', [b]);
    const g2 = await agentOn(b, 'g2', [a]);
    const g3 = await agentOn(c, 'g3', [a, b]);
    const watcher = await agentOn(a, 'stays-watch');
    const stayFeed = await healthEventsOf(watcher, 'stays-on-c');
    const stay = await agentOn(c, 'stays-on-c'); // only knows node c: it cannot move
    const spoken: string[] = [];
    const create = await nodes[a]!.api('/api/groups', {
      method: 'POST',
      body: JSON.stringify({ members: ['g1', 'g2', 'g3'], strategy: 'round-robin', maxTurns: 60, turnTimeoutMs: 3000 }),
    });
    expect(create.status).toBe(201);
    const group = (await create.json()) as { id: string; sessionId: string };
    for (const [client, id] of [
      [g1, 'g1'],
      [g2, 'g2'],
      [g3, 'g3'],
    ] as const) {
      await joinGroup(client, group.id, async (turn) => {
        spoken.push(id);
        await new Promise((r) => setTimeout(r, 50));
        return `${id} says turn ${turn.turn}`;
      });
    }
    await eventually(() => spoken.length >= 6, 15_000, 'six turns before the kill');
    expect(new Set(spoken)).toEqual(new Set(['g1', 'g2', 'g3']));

    // A dashboard on each survivor: the reaper's update of the dead node's agent reaches both, once.
    const dashboards = [a, b].map((i) =>
      io(nodes[i]!.url + OPERATORS_NAMESPACE, { auth: { token }, transports: ['websocket'], forceNew: true, reconnection: false }),
    );
    const updates = dashboards.map((d) => {
      const seen: AgentInfo[] = [];
      d.on('agent:update', (u: AgentInfo) => u.id === 'stays-on-c' && seen.push(u));
      return seen;
    });
    await Promise.all(dashboards.map((d) => new Promise((resolve) => d.once('connect', () => resolve(undefined)))));

    const killedAt = Date.now();
    await nodes[c]!.kill('SIGKILL');
    // The agent that can only reach node c is reported disconnected by a survivor within 10 s.
    await eventually(
      async () => {
        const res = await nodes[a]!.api('/api/agents/stays-on-c');
        return res.ok && ((await res.json()) as { connected: boolean }).connected === false;
      },
      10_000,
      'dead node noticed',
    );
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    // One survivor reaps node c and announces it; the other hears of it: one event, not one per node.
    await stayFeed.settle([nodes[a]!, nodes[b]!], 'disconnected');
    expect(stayFeed.count('disconnected'), JSON.stringify(stayFeed.events)).toBe(1);
    expect(stayFeed.events.find((t) => t.to === 'disconnected')).toMatchObject({ from: 'healthy', reason: 'hub node node-c died' });
    expect([stayFeed.count('connecting'), stayFeed.count('healthy')]).toEqual([1, 1]);
    await eventually(() => updates.every((u) => u.some((x) => !x.connected)), 5000, 'both dashboards see stays-on-c disconnected');
    expect(updates.map((u) => u.filter((x) => !x.connected).length)).toEqual([1, 1]);
    dashboards.forEach((d) => d.close());
    // g3 moved to a surviving node and keeps speaking.
    const before = spoken.length;
    await eventually(() => spoken.slice(before).includes('g3'), 20_000, 'g3 speaks again from another node');
    await eventually(() => spoken.length >= before + 6, 20_000, 'conversation continues');
    const session = (await (await nodes[b]!.api(`/api/sessions/${group.sessionId}`)).json()) as { messages: Array<{ author: string }> };
    expect(
      session.messages.filter((m) => m.author === 'g3').length,
      JSON.stringify({ spoken, authors: session.messages.map((m) => m.author) }),
    ).toBeGreaterThanOrEqual(2);
    void stay;
  });

  it('loses no acknowledged event or session write when a node dies', async () => {
    const writer = await agentOn(a, 'durable-writer');
    const s = await writer.sessions.create();
    for (let i = 0; i < 10; i++) await writer.sessions.append(s.id, { messages: [{ content: `m${i}` }] });
    const acked = [];
    for (let i = 0; i < 10; i++) acked.push(await writer.publish('durable:x', i));
    expect(acked.every((r) => r.durable)).toBe(true);
    await nodes[a]!.kill('SIGKILL');
    const res = await nodes[b]!.api(`/api/sessions/${s.id}`);
    expect(((await res.json()) as { messages: unknown[] }).messages).toHaveLength(10);
    const events = (await (await nodes[b]!.api('/api/events?patterns=durable:x&limit=100')).json()) as { items: Array<{ id: string }> };
    expect(events.items.map((e) => e.id)).toEqual(acked.map((r) => r.id));
  });
});

suite('a Redis outage during traffic', () => {
  const nodes: HubProcess[] = [];
  const clients: AgentClient[] = [];
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(redisUrl!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const token = randomBytes(18).toString('base64url');
    const agentSecret = randomBytes(18).toString('base64url');
    const shared = {
      DATABASE_URL: pg!.url,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_PREFIX: `${prefixRoot}${randomBytes(4).toString('hex')}:`,
      SESSION_LIMIT: '0',
    };
    for (const id of ['ro-a', 'ro-b']) nodes.push(await HubProcess.start({ env: { ...shared, NODE_ID: id }, token, agentSecret }));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await proxy?.close();
  });

  it('keeps each node serving its agents, says why, and delivers what was missed once Redis is back', async () => {
    const pub = await connectAgent({ url: nodes[0]!.url, agentId: 'ro-pub', token: nodes[0]!.tokens.issue('ro-pub') });
    const sub = await connectAgent({ url: nodes[1]!.url, agentId: 'ro-sub', token: nodes[0]!.tokens.issue('ro-sub') });
    clients.push(pub, sub);
    const got = new Set<unknown>();
    await sub.subscribe(['outage:*'], (e) => void got.add(e.payload));
    await pub.publish('outage:x', 'before');
    await eventually(() => got.has('before'), 5000, 'delivery before the outage');

    await proxy.cut();
    await eventually(
      async () => ((await (await fetch(`${nodes[0]!.url}/health`)).json()) as { status: string }).status === 'degraded',
      10_000,
      'health says degraded',
    );
    const ready = (await (await fetch(`${nodes[0]!.url}/ready`)).json()) as { ready: boolean; warnings?: string[] };
    expect(ready.ready).toBe(true);
    expect(ready.warnings?.[0]).toMatch(/redis unavailable/);
    // Each node still serves its own agents: publishing works and is durable.
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await pub.publish('outage:x', `during-${i}`));
    expect(during.every((r) => r.durable)).toBe(true);
    const s = await sub.sessions.create();
    expect(s.version).toBe(1);

    await proxy.restore();
    await eventually(() => [0, 1, 2, 3, 4].every((i) => got.has(`during-${i}`)), 20_000, 'missed events delivered after Redis returned');
    await pub.publish('outage:x', 'after');
    await eventually(() => got.has('after'), 5000, 'live cross-node delivery again');
  });
});

suite('a turn holder whose hub node is SIGKILLed', () => {
  const nodes: HubProcess[] = [];
  const closers: Array<() => unknown> = [];
  const token = randomBytes(18).toString('base64url');
  const agentSecret = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    const shared = {
      DATABASE_URL: pg!.url,
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: `${prefixRoot}${randomBytes(4).toString('hex')}:`,
      NODE_TTL_MS: '3000',
      SESSION_LIMIT: '0',
      GROUP_TASK_LEASE_MS: '3000',
    };
    // node-a starts first and so holds the groups lease throughout: no restore re-grants turns here.
    for (const id of ['node-a', 'node-b', 'node-c'])
      nodes.push(await HubProcess.start({ env: { ...shared, NODE_ID: id }, token, agentSecret }));
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('gets its turn again, as stored, as soon as it registers on a node whose copy of the group is behind', async () => {
    const [a, b, c] = nodes as [HubProcess, HubProcess, HubProcess];
    const speaker = await connectAgent({ url: b.url, agentId: 'fo-speaker', token: a.tokens.issue('fo-speaker') });
    closers.push(() => speaker.close());
    const holder = await rawAgent(c.url, 'fo-holder', a.tokens.issue('fo-holder'));
    closers.push(() => holder.socket.close());
    await eventually(
      async () => {
        const res = await a.api('/api/agents');
        const items = ((await res.json()) as { items: Array<{ id: string; health: string }> }).items;
        return ['fo-speaker', 'fo-holder'].every((id) => items.some((x) => x.id === id && x.health === 'healthy'));
      },
      10_000,
      'node a seeing both agents healthy',
    );

    // Created on node a, which grants the first turn; the speaker answers through node b, which
    // grants the holder its turn. Node a's copy of the group still shows the speaker's turn.
    const create = await a.api('/api/groups', {
      method: 'POST',
      body: JSON.stringify({ members: ['fo-speaker', 'fo-holder'], turnTimeoutMs: 60_000, maxTurns: 2 }),
    });
    expect(create.status).toBe(201);
    const group = (await create.json()) as { id: string };
    await holder.call('group:join', { groupId: group.id });
    await joinGroup(speaker, group.id, () => 'your turn, holder');
    await eventually(() => holder.turns.length === 1, 10_000, 'the holder granted its turn');
    const granted = holder.turns[0]!;

    // The holder's node dies before it answers; it registers on node a at once.
    await c.kill('SIGKILL');
    const back = await rawAgent(a.url, 'fo-holder', a.tokens.issue('fo-holder'));
    closers.push(() => back.socket.close());
    await eventually(() => back.turns.length > 0, 5000, 'the turn re-sent to the holder on node a');
    expect(back.turns[0]).toEqual(granted);
    const stored = (await (await a.api(`/api/groups/${group.id}`)).json()) as { current: { agentId: string; turnId: string } | null };
    expect(stored.current).toMatchObject({ agentId: 'fo-holder', turnId: granted.turnId });
    await back.call('group:speak', { groupId: group.id, turnId: granted.turnId, content: 'back on node a' });
  });

  it('watches the deadlines a dead node armed, though the groups lease stays put: its turn is skipped, its claim lapses', async () => {
    const [a, b] = nodes as [HubProcess, HubProcess, HubProcess];
    const speaker = await connectAgent({
      url: [b.url, a.url],
      agentId: 'dl-speaker',
      token: a.tokens.issue('dl-speaker'),
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 300,
    });
    closers.push(() => speaker.close());
    const holder = await connectAgent({ url: a.url, agentId: 'dl-holder', token: a.tokens.issue('dl-holder') });
    closers.push(() => holder.close());
    await eventually(
      async () => {
        const items = ((await (await a.api('/api/agents')).json()) as { items: Array<{ id: string; health: string }> }).items;
        return ['dl-speaker', 'dl-holder'].every((id) => items.some((x) => x.id === id && x.health === 'healthy'));
      },
      10_000,
      'node a seeing both agents healthy',
    );
    const create = await a.api('/api/groups', {
      method: 'POST',
      body: JSON.stringify({ members: ['dl-speaker', 'dl-holder'], turnTimeoutMs: 4000, maxTurns: 10 }),
    });
    expect(create.status).toBe(201);
    const group = (await create.json()) as { id: string };
    // The holder is connected to node a, which survives; it hangs on its turn and never answers.
    let holderTurns = 0;
    await joinGroup(holder, group.id, () => {
      holderTurns++;
      return new Promise<string>(() => undefined);
    });
    let spoken = 0;
    await joinGroup(speaker, group.id, () => (spoken++ === 0 ? 'over to you' : new Promise<string>(() => undefined)));
    // Node b grants the holder its turn, and a task is added and claimed through it: node b arms
    // both deadlines, and node a's copy of the group still shows the speaker's turn.
    await eventually(() => holderTurns === 1, 10_000, 'node b granting the holder its turn');
    const added = (await (
      await b.api(`/api/groups/${group.id}/tasks`, { method: 'POST', body: JSON.stringify({ title: 'hung work' }) })
    ).json()) as { id: string };
    const claim = await b.api(`/api/groups/${group.id}/tasks/${added.id}/claim`, {
      method: 'POST',
      body: JSON.stringify({ agentId: 'dl-holder' }),
    });
    expect(claim.status).toBe(200);

    // Node b dies. Node a holds the groups lease throughout, so no restore runs; nobody speaks or
    // changes a task from now on: only the timers node b had armed could move the group.
    await b.kill('SIGKILL');
    const view = async () =>
      (await (await a.api(`/api/groups/${group.id}`)).json()) as {
        history: Array<{ agentId: string; outcome: string; reason: string | null }>;
        tasks: Array<{ id: string; status: string; attempts: number }>;
      };
    await eventually(
      async () => {
        const g = await view();
        return (
          g.history.some((h) => h.agentId === 'dl-holder' && h.outcome === 'skipped') &&
          g.tasks.some((t) => t.id === added.id && t.status === 'open')
        );
      },
      15_000,
      'the held turn skipped and the claim back in the queue',
    );
    const g = await view();
    expect(g.history).toContainEqual(
      expect.objectContaining({ agentId: 'dl-holder', outcome: 'skipped', reason: 'no message within 4000 ms' }),
    );
    expect(g.tasks.find((t) => t.id === added.id)).toMatchObject({ status: 'open', attempts: 1 });
  });
});
