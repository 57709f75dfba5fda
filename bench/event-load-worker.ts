/**
 * Load for bench/events.ts, in its own process: either the publishers or the subscribers, talking
 * to the hub through the SDK ('hub') or through plain socket.io-client as docs/protocol.md tells a
 * client in another language ('raw'), or to the bare relay through socket.io-client ('bare').
 * Latency is measured where it happens: the publisher stamps a wall-clock, high-resolution time
 * into each payload; the subscriber's handler compares it with its own clock (same machine).
 */
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { Receiver, runPaced, type Payload, type PublishReport, type RunArgs } from './paced-load.ts';
import { serveWorker } from './worker-rpc.ts';

export interface ConnectArgs {
  mode: 'hub' | 'raw' | 'bare';
  url: string;
  agents: Array<{ agentId: string; token: string }>;
  /** Subscribers subscribe to this pattern (hub) or room (bare). */
  pattern?: string;
  /** Event ids of the SDK publishers: the SDK's own (time-ordered) or random UUID v4 passed to `publish`. */
  ids?: 'sdk' | 'random';
}

export type { PublishReport, RunArgs, SubscribeReport } from './paced-load.ts';

interface LoadClient {
  publish(topic: string, room: string, payload: Payload): Promise<unknown>;
  subscribe(pattern: string, onPayload: (p: Payload) => void): Promise<unknown>;
  close(): Promise<void>;
}

let clients: LoadClient[] = [];
/** Connections dropped during the run, by reason (an overloaded server misses heartbeats). */
const disconnects: Record<string, number> = {};
const receiver = new Receiver(disconnects);

function onDisconnect(reason: string): void {
  disconnects[reason] = (disconnects[reason] ?? 0) + 1;
}

async function connectHub(url: string, agentId: string, token: string, ids: ConnectArgs['ids']): Promise<LoadClient> {
  const c: AgentClient = await connectAgent({ url, agentId, token, name: agentId });
  c.on('disconnected', onDisconnect);
  return {
    publish: (topic, _room, payload) => c.publish(topic, payload, ids === 'random' ? { id: randomUUID() } : {}),
    subscribe: (pattern, handler) => c.subscribe([pattern], (e) => handler(e.payload as Payload), { policy: 'none' }),
    close: () => c.close(),
  };
}

/** An agent without the SDK: `/agents` with auth, `agent:register` first, every call answered `Ack<T>`. */
async function connectRaw(url: string, agentId: string, token: string): Promise<LoadClient> {
  const s: Socket = io(`${url}/agents`, { transports: ['websocket'], forceNew: true, auth: { agentId, token } });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', reject);
  });
  s.on('disconnect', onDisconnect);
  const call = async (event: string, body: unknown): Promise<unknown> => {
    const ack = (await s.timeout(10_000).emitWithAck(event, body)) as { ok: boolean; data?: unknown; error?: { code: string } };
    if (!ack.ok) throw new Error(`${event}: ${ack.error?.code ?? 'refused'}`);
    return ack.data;
  };
  await call('agent:register', { name: agentId, capabilities: [] });
  return {
    publish: (topic, _room, payload) => call('event:publish', { topic, payload }),
    subscribe: async (pattern, handler) => {
      s.on('event', (e: { payload: Payload }) => handler(e.payload));
      s.on('events', (list: Array<{ payload: Payload }>) => list.forEach((e) => handler(e.payload)));
      await call('event:subscribe', { patterns: [pattern], policy: 'none' });
    },
    close: async () => void s.close(),
  };
}

const CONNECT = {
  hub: (url: string, agentId: string, token: string, ids: ConnectArgs['ids']) => connectHub(url, agentId, token, ids),
  raw: (url: string, agentId: string, token: string) => connectRaw(url, agentId, token),
  bare: (url: string) => connectBare(url),
};

async function connectBare(url: string): Promise<LoadClient> {
  const s: Socket = io(url, { transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', reject);
  });
  s.on('disconnect', onDisconnect);
  return {
    publish: (topic, room, payload) => s.timeout(10_000).emitWithAck('publish', { room, topic, payload }),
    subscribe: async (room, handler) => {
      s.on('event', (m: { payload: Payload }) => handler(m.payload));
      await s.timeout(10_000).emitWithAck('subscribe', room);
    },
    close: async () => void s.close(),
  };
}

async function connect(a: ConnectArgs): Promise<{ connected: number }> {
  clients = await Promise.all(a.agents.map((ag) => CONNECT[a.mode](a.url, ag.agentId, ag.token, a.ids)));
  if (a.pattern) await Promise.all(clients.map((c) => c.subscribe(a.pattern!, (p) => receiver.take(p))));
  return { connected: clients.length };
}

function run(a: RunArgs): Promise<PublishReport> {
  return runPaced(a, clients.length, (i, payload) => clients[i]!.publish(`${a.topicPrefix}${i}`, a.room, payload), disconnects);
}

serveWorker(
  {
    connect,
    run,
    progress: () => ({ received: receiver.count }),
    report: () => receiver.report(),
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      clients = [];
    },
  },
  async () => {
    await Promise.all(clients.map((c) => c.close()));
  },
);
