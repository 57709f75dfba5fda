/**
 * What every load worker of bench/events.ts shares, whatever it talks to (hub, bare relay, NATS):
 * the ~100-byte stamped payload, the paced publish loop with its in-flight bound, and the
 * subscriber's latency bookkeeping — so the rows measure the systems, not different harnesses.
 */
import { SampleBuffer } from './stats.ts';
import type { WorkerProcess } from './worker-rpc.ts';

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
  /** Wall-clock (timeOrigin-based) ms at which each measured ack's publish was sent, in the order of `acks`. */
  ackSentAt: Float64Array;
  measuredWindowMs: number;
  /** Largest number of events the pacing loop owed at one tick (how bursty / how far behind). */
  maxBurst: number;
  disconnects: Record<string, number>;
}

export interface SubscribeReport {
  received: number;
  latencies: Float64Array;
  /** Publish stamp (wall-clock ms) of each measured event, in the order of `latencies`. */
  stamps: Float64Array;
  /** Wall-clock (timeOrigin-based) ms of the first and last measured event handled. */
  firstAt: number;
  lastAt: number;
  disconnects: Record<string, number>;
}

export interface Payload {
  t: number;
  w: 0 | 1;
  s: number;
  p: string;
}

/** Keeps a stalled system from growing an unbounded backlog of unacked publishes. */
const MAX_IN_FLIGHT = 20_000;
const ACK_DRAIN_MS = 20_000;

const wallNow = () => performance.timeOrigin + performance.now();
// Sized so the serialized payload is ~100 bytes.
const PAD = 'x'.repeat(100 - JSON.stringify({ t: wallNow(), w: 0, s: 100_000, p: '' }).length);

/**
 * Paces publishes on a ~1 ms timer: each tick sends what the schedule owes by now, round-robin
 * over `publishers` senders. `publish(i, payload)` sends one with publisher `i % publishers`.
 */
export async function runPaced(
  a: RunArgs,
  publishers: number,
  publish: (i: number, payload: Payload) => Promise<unknown>,
  disconnects: Record<string, number>,
): Promise<PublishReport> {
  const acks = new SampleBuffer();
  const ackSentAt = new SampleBuffer();
  const perMs = a.rate / 1000;
  const report = { sent: 0, measuredSent: 0, skipped: 0, errors: 0, errorCodes: {} as Record<string, number>, maxBurst: 0 };
  let inFlight = 0;
  let seq = 0;
  const start = performance.now();
  const measureFrom = start + a.warmupMs;
  const end = measureFrom + a.measureMs;

  const sendOne = (i: number, warm: boolean) => {
    if (inFlight >= MAX_IN_FLIGHT) return void report.skipped++;
    const t0 = performance.now();
    const payload: Payload = { t: wallNow(), w: warm ? 1 : 0, s: seq++, p: PAD };
    const sentAt = payload.t;
    inFlight++;
    report.sent++;
    if (!warm) report.measuredSent++;
    publish(i % publishers, payload).then(
      () => {
        inFlight--;
        if (warm) return;
        acks.push(performance.now() - t0);
        ackSentAt.push(sentAt);
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
    let issued = 0;
    const tick = () => {
      const now = performance.now();
      const owed = Math.floor((Math.min(now, end) - start) * perMs) - issued;
      report.maxBurst = Math.max(report.maxBurst, owed);
      for (let k = 0; k < owed; k++) sendOne(issued++, performance.now() < measureFrom);
      if (now >= end) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });

  const drainUntil = performance.now() + ACK_DRAIN_MS;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  return { ...report, acks: acks.values().slice(), ackSentAt: ackSentAt.values().slice(), measuredWindowMs: a.measureMs, disconnects };
}

/** The subscriber's side: latency of each measured payload, counted once, against this clock. */
export class Receiver {
  private received = 0;
  private latencies = new SampleBuffer();
  private stamps = new SampleBuffer();
  private firstAt = 0;
  private lastAt = 0;

  constructor(private readonly disconnects: Record<string, number>) {}

  get count(): number {
    return this.received;
  }

  take(p: Payload): void {
    const now = wallNow();
    if (p.w) return;
    this.latencies.push(now - p.t);
    this.stamps.push(p.t);
    this.received++;
    if (!this.firstAt) this.firstAt = now;
    this.lastAt = now;
  }

  /** What was received since the last report (the next run starts from zero). */
  report(): SubscribeReport {
    const r = {
      received: this.received,
      latencies: this.latencies.values().slice(),
      stamps: this.stamps.values().slice(),
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      disconnects: this.disconnects,
    };
    this.received = 0;
    this.latencies = new SampleBuffer();
    this.stamps = new SampleBuffer();
    this.firstAt = this.lastAt = 0;
    return r;
  }
}

/** Until every measured event reached every subscriber, or nothing arrived for 3 s. */
export async function waitDelivered(subW: WorkerProcess, expected: number): Promise<void> {
  let last = -1;
  let stalledSince = performance.now();
  for (;;) {
    const { received } = await subW.call<{ received: number }>('progress');
    if (received >= expected) return;
    if (received !== last) {
      last = received;
      stalledSince = performance.now();
    } else if (performance.now() - stalledSince > 3000) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
