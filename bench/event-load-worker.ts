/**
 * Load for bench/events.ts, in its own process: either the publishers or the subscribers, talking
 * to the hub through the SDK ('hub') or to the bare relay through socket.io-client ('bare').
 * Latency is measured where it happens: the publisher stamps a wall-clock, high-resolution time
 * into each payload; the subscriber's handler compares it with its own clock (same machine).
 */
import { io, type Socket } from 'socket.io-client';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { SampleBuffer } from './stats.ts';
import { serveWorker } from './worker-rpc.ts';

export interface ConnectArgs {
  mode: 'hub' | 'bare';
  url: string;
  agents: Array<{ agentId: string; token: string }>;
  /** Subscribers subscribe to this pattern (hub) or room (bare). */
  pattern?: string;
}

export interface RunArgs {
  /** Events per second across all publishers of this worker. */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** Topic of publisher i; bare mode also sends the room subscribers joined. */
  topicPrefix: string;
  room: string;
}

export interface PublishReport {
  sent: number;
  measuredSent: number;
  /** Sends dropped because too many publishes were awaiting acks (saturation). */
  skipped: number;
  errors: number;
  /** Failed publishes by error code (REQUEST_TIMEOUT, AGENT_NOT_REGISTERED …). */
  errorCodes: Record<string, number>;
  acks: Float64Array;
  measuredWindowMs: number;
  /** Largest number of events the pacing loop owed at one tick (how bursty / how far behind). */
  maxBurst: number;
  disconnects: Record<string, number>;
}

export interface SubscribeReport {
  received: number;
  latencies: Float64Array;
  /** Wall-clock (timeOrigin-based) ms of the first and last measured event handled. */
  firstAt: number;
  lastAt: number;
  disconnects: Record<string, number>;
}

interface Payload {
  t: number;
  w: 0 | 1;
  s: number;
  p: string;
}

interface LoadClient {
  publish(topic: string, room: string, payload: Payload): Promise<unknown>;
  subscribe(pattern: string, onPayload: (p: Payload) => void): Promise<unknown>;
  close(): Promise<void>;
}

/** Keeps a stalled system from growing an unbounded backlog of unacked publishes. */
const MAX_IN_FLIGHT = 20_000;
const ACK_DRAIN_MS = 20_000;

const wallNow = () => performance.timeOrigin + performance.now();
// Sized so the serialized payload is ~100 bytes.
const PAD = 'x'.repeat(100 - JSON.stringify({ t: wallNow(), w: 0, s: 100_000, p: '' }).length);

let clients: LoadClient[] = [];
let received = 0;
let latencies = new SampleBuffer();
let firstAt = 0;
let lastAt = 0;
/** Connections dropped during the run, by reason (an overloaded server misses heartbeats). */
const disconnects: Record<string, number> = {};

function onDisconnect(reason: string): void {
  disconnects[reason] = (disconnects[reason] ?? 0) + 1;
}

function onPayload(p: Payload): void {
  const now = wallNow();
  if (p.w) return;
  latencies.push(now - p.t);
  received++;
  if (!firstAt) firstAt = now;
  lastAt = now;
}

async function connectHub(url: string, agentId: string, token: string): Promise<LoadClient> {
  const c: AgentClient = await connectAgent({ url, agentId, token, name: agentId });
  c.on('disconnected', onDisconnect);
  return {
    publish: (topic, _room, payload) => c.publish(topic, payload),
    subscribe: (pattern, handler) => c.subscribe([pattern], (e) => handler(e.payload as Payload), { policy: 'none' }),
    close: () => c.close(),
  };
}

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
  clients = await Promise.all(
    a.agents.map((ag) => (a.mode === 'hub' ? connectHub(a.url, ag.agentId, ag.token) : connectBare(a.url))),
  );
  if (a.pattern) await Promise.all(clients.map((c) => c.subscribe(a.pattern!, onPayload)));
  return { connected: clients.length };
}

/** Paces publishes on a ~1 ms timer: each tick sends what the schedule owes by now. */
async function run(a: RunArgs): Promise<PublishReport> {
  const acks = new SampleBuffer();
  const perMs = a.rate / 1000;
  const report = { sent: 0, measuredSent: 0, skipped: 0, errors: 0, errorCodes: {} as Record<string, number>, maxBurst: 0 };
  let inFlight = 0;
  let seq = 0;
  const start = performance.now();
  const measureFrom = start + a.warmupMs;
  const end = measureFrom + a.measureMs;

  const sendOne = (i: number, warm: boolean) => {
    if (inFlight >= MAX_IN_FLIGHT) return void report.skipped++;
    const client = clients[i % clients.length]!;
    const t0 = performance.now();
    const payload: Payload = { t: wallNow(), w: warm ? 1 : 0, s: seq++, p: PAD };
    inFlight++;
    report.sent++;
    if (!warm) report.measuredSent++;
    client.publish(`${a.topicPrefix}${i % clients.length}`, a.room, payload).then(
      () => {
        inFlight--;
        if (!warm) acks.push(performance.now() - t0);
      },
      (err) => {
        inFlight--;
        report.errors++;
        const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err)).slice(0, 60);
        report.errorCodes[code] = (report.errorCodes[code] ?? 0) + 1;
      },
    );
  };

  await new Promise<void>((resolve) => {
    let owed = 0;
    let issued = 0;
    const tick = () => {
      const now = performance.now();
      const until = Math.min(now, end);
      owed = Math.floor((until - start) * perMs) - issued;
      report.maxBurst = Math.max(report.maxBurst, owed);
      for (; owed > 0; owed--) sendOne(issued++, performance.now() < measureFrom);
      if (now >= end) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });

  const drainUntil = performance.now() + ACK_DRAIN_MS;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  return { ...report, acks: acks.values().slice(), measuredWindowMs: a.measureMs, disconnects };
}

serveWorker(
  {
    connect,
    run,
    progress: () => ({ received }),
    report: (): SubscribeReport => {
      const r = { received, latencies: latencies.values().slice(), firstAt, lastAt, disconnects };
      received = 0;
      latencies = new SampleBuffer();
      firstAt = lastAt = 0;
      return r;
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      clients = [];
    },
  },
  async () => {
    await Promise.all(clients.map((c) => c.close()));
  },
);
