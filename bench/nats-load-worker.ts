/**
 * Load for the NATS JetStream rows of bench/events.ts, in its own process: either the publishers or
 * the subscribers, one NATS connection per agent (as event-load-worker.ts opens one socket each).
 * Same payload, pacing, in-flight bound and reports as event-load-worker.ts, so the rows compare:
 * - publish = `js.publish()`, awaited for its PubAck (the stream stored the message);
 * - subscribe = a durable pull consumer per subscriber with AckPolicy.Explicit, `consume()` with a
 *   callback, and `m.ack()` for every message (warm-up ones too).
 * Latency is taken where it happens: the stamp in the payload vs the subscriber's clock when its
 * callback starts (same machine).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { PublishReport, RunArgs, SubscribeReport } from './event-load-worker.ts';
import { SampleBuffer } from './stats.ts';
import { serveWorker } from './worker-rpc.ts';

export interface NatsConnectArgs {
  /** e.g. `nats://127.0.0.1:4222`. */
  url: string;
  /** Publishers or subscribers this worker runs (one connection each). */
  count: number;
  /** Subscribers only: the stream to consume; each subscriber gets its own durable consumer. */
  stream?: string;
  /** Subscribers only: durable consumer names are `${consumerPrefix}${i}`. */
  consumerPrefix?: string;
}

interface Payload {
  t: number;
  w: 0 | 1;
  s: number;
  p: string;
}

/** Same bound and drain as event-load-worker.ts. */
const MAX_IN_FLIGHT = 20_000;
const ACK_DRAIN_MS = 20_000;
/** A PubAck not back within this rejects, as the SDK's and the relay's publish acks do (10 s). */
const PUBLISH_TIMEOUT_MS = 10_000;

const wallNow = () => performance.timeOrigin + performance.now();
// Sized so the serialized payload is ~100 bytes (the same construction as event-load-worker.ts).
const PAD = 'x'.repeat(100 - JSON.stringify({ t: wallNow(), w: 0, s: 100_000, p: '' }).length);

let conns: NatsConnection[] = [];
let consumers: ConsumerMessages[] = [];
let received = 0;
let latencies = new SampleBuffer();
let firstAt = 0;
let lastAt = 0;
/** Connections dropped (or reconnecting) during the run, by status type. */
const disconnects: Record<string, number> = {};

function watchStatus(nc: NatsConnection): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'error' || s.type === 'staleConnection' || s.type === 'slowConsumer') {
        disconnects[s.type] = (disconnects[s.type] ?? 0) + 1;
      }
    }
  })().catch(() => {});
}

function onMessage(m: JsMsg): void {
  const now = wallNow();
  const p = m.json<Payload>();
  m.ack();
  if (p.w) return;
  latencies.push(now - p.t);
  received++;
  if (!firstAt) firstAt = now;
  lastAt = now;
}

async function connectAll(a: NatsConnectArgs): Promise<{ connected: number }> {
  conns = await Promise.all(Array.from({ length: a.count }, () => connect({ servers: a.url, noEcho: true })));
  conns.forEach(watchStatus);
  if (a.stream) {
    const stream = a.stream;
    consumers = await Promise.all(
      conns.map(async (nc, i) => {
        const name = `${a.consumerPrefix ?? 'sub-'}${i}`;
        const jsm = await jetstreamManager(nc);
        await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
        const consumer = await jetstream(nc).consumers.get(stream, name);
        // 1,000 messages of pull credit (the client re-pulls at 75 %), so credit never runs dry at 10k/s.
        return consumer.consume({ max_messages: 1000, callback: onMessage });
      }),
    );
  }
  return { connected: conns.length };
}

/** Paces publishes on a ~1 ms timer: each tick sends what the schedule owes by now (as event-load-worker.ts). */
async function run(a: RunArgs): Promise<PublishReport> {
  const js = conns.map((nc) => jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS }));
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
    const client = js[i % js.length]!;
    const t0 = performance.now();
    const payload: Payload = { t: wallNow(), w: warm ? 1 : 0, s: seq++, p: PAD };
    inFlight++;
    report.sent++;
    if (!warm) report.measuredSent++;
    client.publish(`${a.topicPrefix}${i % js.length}`, JSON.stringify(payload)).then(
      () => {
        inFlight--;
        if (!warm) acks.push(performance.now() - t0);
      },
      (err) => {
        inFlight--;
        report.errors++;
        const e = err as { code?: string; name?: string; message?: string };
        const code = e.code ?? (e.name && e.name !== 'Error' ? e.name : String(e.message ?? err).slice(0, 60));
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

async function closeAll(): Promise<void> {
  await Promise.allSettled(consumers.map((c) => c.close()));
  await Promise.allSettled(conns.map((nc) => nc.close()));
  consumers = [];
  conns = [];
}

serveWorker(
  {
    connect: connectAll,
    run,
    progress: () => ({ received }),
    report: (): SubscribeReport => {
      const r = { received, latencies: latencies.values().slice(), firstAt, lastAt, disconnects };
      received = 0;
      latencies = new SampleBuffer();
      firstAt = lastAt = 0;
      return r;
    },
    close: closeAll,
  },
  closeAll,
);
