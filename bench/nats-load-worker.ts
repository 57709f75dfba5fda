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
import { Receiver, runPaced, type Payload, type PublishReport, type RunArgs } from './paced-load.ts';
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

/** A PubAck not back within this rejects, as the SDK's and the relay's publish acks do (10 s). */
const PUBLISH_TIMEOUT_MS = 10_000;

let conns: NatsConnection[] = [];
let consumers: ConsumerMessages[] = [];
/** Connections dropped (or reconnecting) during the run, by status type. */
const disconnects: Record<string, number> = {};
const receiver = new Receiver(disconnects);

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
  const p = m.json<Payload>();
  m.ack();
  receiver.take(p);
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

/** The shared paced loop (paced-load.ts), each publish awaiting its PubAck. */
function run(a: RunArgs): Promise<PublishReport> {
  const js = conns.map((nc) => jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS }));
  return runPaced(a, js.length, (i, payload) => js[i]!.publish(`${a.topicPrefix}${i}`, JSON.stringify(payload)), disconnects);
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
    progress: () => ({ received: receiver.count }),
    report: () => receiver.report(),
    close: closeAll,
  },
  closeAll,
);
