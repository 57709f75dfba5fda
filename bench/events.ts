/**
 * Event propagation through a real hub process vs a bare Socket.IO relay, plus replay.
 *
 *   node --import tsx bench/events.ts [--store=pglite|postgres|memory] [--publishers=1] [--subscribers=1]
 *     [--rate=10000] [--duration=10] [--warmup=2] [--replay=10000] [--no-baseline] [--quick]
 *     [--hub-env=NAME=value,...]   (extra hub settings, e.g. EVENT_BATCH_DELAY_MS=10)
 *     [--hub-args=--flag,...]      (extra node/V8 flags for the hub, after the launch's own: they win)
 *     [--runs=3]   (interleaved runs: hub, baseline, NATS, hub, …; the table adds each system's median)
 *     [--nats | --no-nats] [--nats-server-bin=/usr/sbin/nats-server]
 *     [--profile=DIR]   (the hub's CPU profile, `node --cpu-prof`, written into DIR when it stops)
 *     [--clients=sdk|raw]   (the hub's publishers and subscribers: the SDK, or plain socket.io-client
 *                            speaking docs/protocol.md, which tells the SDK's share of the latency apart)
 *     [--settle=30]   (after the replays, leave the hub idle this long and read its RSS every 10 s)
 *     [--window=30]   (a row per 30 s of the measured span: latency, hub CPU and RSS over time; on
 *                      by default for --duration=60 or more, --window=0 turns it off)
 *     [--log-rows=N]   (the hub starts on a log already holding N events: a hub that has run a while)
 *     [--ids=sdk|random]   (the hub's publishers: ids as the SDK makes them, time-ordered, or random
 *                           UUID v4 passed explicitly, as some other clients make them; so do --log-rows' rows)
 *
 * Processes: this one only orchestrates and prints. The hub (or the relay) is one child; the
 * publishers run in a second and the subscribers in a third (bench/event-load-worker.ts).
 * NATS JetStream rows (bench/nats-anchor.ts, on by default when NATS answers at 127.0.0.1:4222):
 * the same load against a file-storage stream, with JetStream's default sync and with a throw-away
 * nats-server set to `sync_interval: always`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAgent } from '@agent-hub/sdk';
import { createTestDatabase, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { fmtCount, hubMetrics, OVERLOAD_REFUSALS } from './hub-metrics.ts';
import { guardChild, withTimeout } from './child-guard.ts';
import { CpuMeter, cpuTimeMs, memoryOf, storeProcessOf, waitForQuiet } from './cpu-meter.ts';
import type { PublishReport, RunArgs, SubscribeReport } from './event-load-worker.ts';
import { Flags } from './flags.ts';
import { prefillPglite, prefillPostgres, type IdKind } from './log-prefill.ts';
import { probeNats, runNats, skipLine, NATS_SERVER_BIN, type NatsResult, type Probe } from './nats-anchor.ts';
import {
  fmtMs,
  fmtPct,
  fmtRate,
  fmtRatio,
  latencyCells,
  median,
  medianSummary,
  printTable,
  SampleBuffer,
  summarize,
  throughput,
  type Summary,
} from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';
import { waitDelivered } from './paced-load.ts';

const LOAD_WORKER = fileURLToPath(new URL('./event-load-worker.ts', import.meta.url));
const RELAY = fileURLToPath(new URL('./bare-relay.ts', import.meta.url));
const QUIET_WAIT_MS = 15_000;

interface Options {
  store: 'pglite' | 'postgres' | 'memory';
  publishers: number;
  subscribers: number;
  rate: number;
  warmupMs: number;
  measureMs: number;
  replay: number;
  replayTrials: number;
  /** Seconds to leave the hub idle after the replays before reading its RSS again (0: don't). */
  settleS: number;
  baseline: boolean;
  /** Extra hub settings (`--hub-env=EVENT_BATCH_MAX=1000,EVENT_BATCH_DELAY_MS=5`), for experiments. */
  hubEnv: Record<string, string>;
  /** Extra node/V8 flags for the hub (`--hub-args=--max-semi-space-size=16`), for experiments. */
  hubArgs: string[];
  /** NATS JetStream rows: 'auto' = when NATS answers at 127.0.0.1:4222 (`--nats` insists, `--no-nats` leaves them out). */
  nats: 'auto' | boolean;
  /** nats-server binary for the throw-away sync-always server (needs 2.10+ for `sync_interval`). */
  natsServerBin: string;
  /** Interleaved runs per system (this machine is noisy: figures are medians of these). */
  runs: number;
  /** Write the hub's CPU profile (`--cpu-prof`) into this folder. */
  profileDir: string;
  /** The hub's load clients: the SDK, or plain socket.io-client following docs/protocol.md. */
  clients: 'sdk' | 'raw';
  /** Seconds per row of the over-time table (0: none); 30 by default for runs of a minute or more. */
  windowS: number;
  /** Events in the hub's log before it starts (`--log-rows`), as in a hub that has run a while. */
  logRows: number;
  /** Event ids of the hub's publishers and of the `--log-rows` rows: the SDK's (time-ordered) or random v4. */
  ids: IdKind;
}

interface LoadOutcome {
  label: string;
  pub: PublishReport;
  sub: SubscribeReport;
  propagation: Summary;
  ack: Summary;
  cpu: Record<string, number>;
  /** The server's CPU time, RSS and counters, sampled every window of the measured span (`--window`). */
  serverSamples?: ServerSample[];
}

/** The server's CPU time and RSS (with its store process), and the hub's counters, at one moment. */
interface ServerSample {
  /** Wall-clock (timeOrigin-based) ms of the sample. */
  at: number;
  cpuMs: number;
  rssMb: number;
  counters?: { commits: number; commitSeconds: number; refused: number };
}

const COMMITS = 'agenthub_event_log_commit_seconds_count';
const COMMIT_SECONDS = 'agenthub_event_log_commit_seconds_sum';
const COMMIT_BUCKET = 'agenthub_event_log_commit_seconds_bucket';

type Agents = Array<{ agentId: string; token: string }>;

function readOptions(): Options {
  const f = new Flags();
  const quick = f.has('quick');
  const measureMs = f.number('duration', quick ? 4 : 10) * 1000;
  return {
    store: f.string('store', 'pglite', ['pglite', 'postgres', 'memory'] as const),
    publishers: Math.max(1, f.number('publishers', 1)),
    subscribers: Math.max(1, f.number('subscribers', 1)),
    rate: f.number('rate', 10_000),
    warmupMs: f.number('warmup', quick ? 1 : 2) * 1000,
    measureMs,
    replay: f.number('replay', 10_000),
    replayTrials: quick ? 2 : 5,
    settleS: f.number('settle', 0),
    baseline: !f.has('no-baseline'),
    hubEnv: f.env('hub-env'),
    hubArgs: f.string('hub-args', '').split(',').filter(Boolean),
    nats: f.has('no-nats') ? false : f.has('nats') ? true : 'auto',
    natsServerBin: f.string('nats-server-bin', NATS_SERVER_BIN),
    runs: Math.max(1, f.number('runs', 1)),
    profileDir: f.string('profile', ''),
    clients: f.string('clients', 'sdk', ['sdk', 'raw'] as const),
    windowS: f.number('window', measureMs >= 60_000 ? 30 : 0),
    logRows: f.number('log-rows', 0),
    ids: f.string('ids', 'sdk', ['sdk', 'random'] as const),
  };
}

/** Connects both workers, runs the paced load, waits for deliveries to drain, collects samples. */
async function runLoad(
  label: string,
  mode: 'hub' | 'raw' | 'bare',
  url: string,
  serverPid: number,
  pubs: Agents,
  subs: Agents,
  o: Options,
  metricsOf?: () => Promise<(name: string) => number>,
): Promise<LoadOutcome> {
  // A shared machine: give someone else's burst a moment to pass rather than measure it.
  await waitForQuiet(QUIET_WAIT_MS);
  const subW = WorkerProcess.start(LOAD_WORKER);
  const pubW = WorkerProcess.start(LOAD_WORKER);
  try {
    await subW.call('connect', { mode, url, agents: subs, pattern: mode === 'bare' ? 'bench' : 'bench:*' });
    await pubW.call('connect', { mode, url, agents: pubs, ids: o.ids });
    // The hub's CPU includes its store process (PGlite's), as it did when the store was a thread.
    const storePid = mode === 'bare' ? null : storeProcessOf(serverPid);
    const meter = new CpuMeter(
      { server: storePid ? [serverPid, storePid] : serverPid, publishers: pubW.pid, subscribers: subW.pid },
      // The server's main thread alone: what its event loop does, apart from its store worker and V8's helpers.
      { serverMain: [serverPid, serverPid] },
    );
    let cpu: Record<string, number> = {};
    // CPU is sampled over the measured window only, not the warm-up or the drain.
    const cpuTimers = [setTimeout(() => meter.start(), o.warmupMs), setTimeout(() => (cpu = meter.stop()), o.warmupMs + o.measureMs)];
    const serverPids = storePid ? [serverPid, storePid] : [serverPid];
    const serverSamples: ServerSample[] = [];
    let sampler: ReturnType<typeof setInterval> | undefined;
    let sample: (() => void) | undefined;
    if (o.windowS > 0) {
      sample = () => {
        const at = performance.timeOrigin + performance.now();
        const s: ServerSample = {
          at,
          cpuMs: serverPids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0),
          rssMb: serverPids.reduce((sum, pid) => sum + memoryOf(pid).rssMb, 0),
        };
        serverSamples.push(s);
        // The hub's own counters, read as soon as it answers (a hub that stalls answers late).
        void metricsOf?.()
          .then(
            (value) => (s.counters = { commits: value(COMMITS), commitSeconds: value(COMMIT_SECONDS), refused: value(OVERLOAD_REFUSALS) }),
          )
          .catch(() => undefined);
      };
      cpuTimers.push(
        setTimeout(() => {
          sample!();
          sampler = setInterval(sample!, o.windowS * 1000);
        }, o.warmupMs),
      );
    }
    const args: RunArgs = { rate: o.rate, warmupMs: o.warmupMs, measureMs: o.measureMs, topicPrefix: 'bench:', room: 'bench' };
    const pub = await pubW.call<PublishReport>('run', args, o.warmupMs + o.measureMs + 60_000);
    cpuTimers.forEach(clearTimeout);
    clearInterval(sampler);
    // The end of the last window (the interval's own tick may come just after the run returns).
    if (sampler) sample?.();
    if (!Object.keys(cpu).length) cpu = meter.stop();
    await waitDelivered(subW, pub.measuredSent * subs.length);
    const sub = await subW.call<SubscribeReport>('report');
    return { label, pub, sub, propagation: summarize(sub.latencies), ack: summarize(pub.acks), cpu, serverSamples };
  } finally {
    await Promise.all([pubW.stop(), subW.stop()]);
  }
}

function agentsFor(prefix: string, n: number, hub: HubProcess | null): Agents {
  return Array.from({ length: n }, (_, i) => {
    const agentId = `${prefix}-${i}`;
    return { agentId, token: hub ? hub.tokens.issue(agentId) : '' };
  });
}

interface ReplayOutcome {
  /** Subscribe call -> last replayed event handled. */
  times: number[];
  /** Subscribe call -> subscribe ack (the hub read the log and sent every replayed event). */
  ackTimes: number[];
  replayed: number[];
  /** The hub's resident memory after the load run and the replays, and its peak (MB). */
  memory?: { rssMb: number; peakMb: number };
  /** The same for its store process, when the store runs in one (PGlite). */
  storeMemory?: { rssMb: number; peakMb: number };
  /** The hub's RSS (MB) at each 10 s of `--settle` seconds of idling after that reading. */
  settled?: Array<{ afterS: number; rssMb: number }>;
}

/** Publishes `count` events on one topic, then times fresh agents replaying them (policy full). */
async function runReplay(hub: HubProcess, count: number, trials: number): Promise<ReplayOutcome> {
  const topic = 'replay:load';
  const pub = await connectAgent({ url: hub.url, agentId: 'replay-pub', token: hub.tokens.issue('replay-pub') });
  let first = Number.POSITIVE_INFINITY;
  const pad = 'x'.repeat(80);
  for (let i = 0; i < count; i += 500) {
    const chunk = Array.from({ length: Math.min(500, count - i) }, (_, k) => pub.publish(topic, { i: i + k, p: pad }));
    for (const r of await Promise.all(chunk)) first = Math.min(first, r.offset);
  }
  await pub.close();

  const out: ReplayOutcome = { times: [], ackTimes: [], replayed: [] };
  for (let t = 0; t < trials; t++) {
    const agentId = `replay-sub-${t}`;
    const c = await connectAgent({ url: hub.url, agentId, token: hub.tokens.issue(agentId) });
    let handled = 0;
    let resolveDone!: (at: number) => void;
    const done = new Promise<number>((r) => (resolveDone = r));
    const t0 = performance.now();
    const ack = await c.subscribe([topic], () => void (++handled === count && resolveDone(performance.now())), {
      policy: 'full',
      fromOffset: first - 1,
    });
    out.ackTimes.push(performance.now() - t0);
    out.times.push((await withTimeout(done, 60_000, `replay of ${count} events`)) - t0);
    out.replayed.push(ack.replayed);
    await c.close();
  }
  return out;
}

/** Scheduled deliveries that never reached a handler: lost on a dropped connection, or never sent. */
function undelivered(r: LoadOutcome, subs: number): number {
  return r.pub.measuredSent * subs - r.sub.received + r.pub.skipped * subs;
}

function loadRow(r: LoadOutcome, o: Options, subs: number): string[] {
  const perSub = r.sub.received / subs;
  const window = r.sub.lastAt - r.sub.firstAt;
  const cpu = ['server', 'publishers', 'subscribers', 'others'].map((k) => fmtPct(r.cpu[k] ?? Number.NaN)).join(' / ');
  return [
    r.label,
    fmtRate(throughput(r.pub.measuredSent, o.measureMs)),
    fmtRate(throughput(perSub, window)),
    String(undelivered(r, subs)),
    ...latencyCells(r.propagation),
    fmtMs(r.ack.p50),
    fmtMs(r.ack.p95),
    fmtMs(r.ack.p99),
    cpu,
  ];
}

/**
 * A long run's figures window by window (`--window`): whether latency, the ack and the hub's
 * memory hold steady as the log grows and the store's upkeep (VACUUM, WAL checkpoints) runs, or
 * drift. Events go to the window of their publish stamp.
 */
function printOverTime(r: LoadOutcome, o: Options): void {
  const windowMs = o.windowS * 1000;
  let start = Number.POSITIVE_INFINITY;
  for (const t of r.sub.stamps) start = Math.min(start, t);
  if (!Number.isFinite(start)) return;
  const count = Math.ceil(o.measureMs / windowMs);
  const bin = (t: number) => Math.min(count - 1, Math.max(0, Math.floor((t - start) / windowMs)));
  const props = Array.from({ length: count }, () => new SampleBuffer());
  const acks = Array.from({ length: count }, () => new SampleBuffer());
  r.sub.stamps.forEach((t, i) => props[bin(t)]!.push(r.sub.latencies[i]!));
  r.pub.ackSentAt.forEach((t, i) => acks[bin(t)]!.push(r.pub.acks[i]!));
  const samples = r.serverSamples ?? [];
  const rows = props.map((buf, k) => {
    const p = summarize(buf.values());
    const a = summarize(acks[k]!.values());
    const span = Math.min(windowMs, o.measureMs - k * windowMs);
    // The server's samples nearest the window's start and end (one is taken every window from the end of the warm-up).
    const nearest = (t: number) =>
      samples.reduce<ServerSample | undefined>((b, x) => (!b || Math.abs(x.at - t) < Math.abs(b.at - t) ? x : b), undefined);
    const from = nearest(start + k * windowMs);
    const to = nearest(start + k * windowMs + span);
    const server = from && to && to.at > from.at ? { cpu: (to.cpuMs - from.cpuMs) / (to.at - from.at), rssMb: to.rssMb } : undefined;
    const c0 = from?.counters;
    const c1 = to?.counters;
    const commits = c0 && c1 && to !== from ? c1.commits - c0.commits : Number.NaN;
    return [
      `${(k * o.windowS).toFixed(0)}–${((k * windowMs + span) / 1000).toFixed(0)} s`,
      fmtRate(throughput(p.n / o.subscribers, span)),
      ...latencyCells(p),
      fmtMs(a.p95),
      commits > 0 ? fmtMs(((c1!.commitSeconds - c0!.commitSeconds) / commits) * 1000) : '–',
      c0 && c1 && to !== from ? fmtCount(c1.refused - c0.refused) : '–',
      server ? fmtPct(server.cpu) : '–',
      server ? `${server.rssMb.toFixed(0)} MB` : '–',
    ];
  });
  printTable(
    `Over time: ${r.label}, windows of ${o.windowS} s (events by publish time)`,
    ['window', 'delivered/sub', 'prop p50', 'prop p95', 'prop p99', 'prop max', 'ack p95', 'commit', 'refused', 'server CPU', 'server RSS'],
    rows,
    [
      "commit = the hub's average group commit in the window; refused = publishes refused for overload (RATE_LIMITED, re-sent by the SDK).",
      'server CPU and RSS: sampled every window from the end of the warm-up (CPU over the window, RSS at its end); the hub with its store process.',
    ],
  );
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

const HUB_DURABILITY: Record<Options['store'], string> = {
  postgres: 'acks after the batch COMMIT on PostgreSQL (fsync and synchronous_commit on): durable',
  pglite: 'acks after the batch commit on PGlite (in the hub process), its WAL fsynced',
  memory: 'acks after the in-memory append: not durable',
};

function report(
  o: Options,
  ours: LoadOutcome,
  base: LoadOutcome | null,
  replay: ReplayOutcome | null,
  nats: NatsResult | null,
  runRows: LoadOutcome[] = [],
): void {
  const title =
    `Events: ${o.publishers} publisher(s) -> ${o.subscribers} subscriber(s), 100-byte payloads, target ${fmtRate(o.rate)}, ` +
    `${o.measureMs / 1000} s measured after ${o.warmupMs / 1000} s warm-up; hub store: ${o.store}`;
  const header = [
    'system',
    'sent',
    'delivered/sub',
    'undelivered',
    'prop p50',
    'prop p95',
    'prop p99',
    'prop max',
    'ack p50',
    'ack p95',
    'ack p99',
    'CPU server / pub / sub / rest',
  ];
  const rows = [...runRows.map((r) => loadRow(r, o, o.subscribers)), loadRow(ours, o, o.subscribers)];
  if (base) rows.push(loadRow(base, o, o.subscribers));
  for (const r of nats?.rows ?? []) rows.push(loadRow(r, o, o.subscribers));
  const ratio = base ? ours.propagation.p95 / base.propagation.p95 : Number.NaN;
  const delivered = throughput(ours.sub.received / o.subscribers, ours.sub.lastAt - ours.sub.firstAt);
  const notes = [
    'prop = publish call -> subscriber handler start (stamp in the payload); ack = publish call -> ack (hub: after the batch commit, durable).',
    'CPU = share of one core over the measured window (2 cores in all); rest = everything else on the machine (PostgreSQL, other users).',
  ];
  if (runRows.length)
    notes.push(
      `${o.runs} interleaved runs per system (hub, baseline, NATS, hub, …); the "median of ${o.runs}" rows take each column's median, and the ratios and targets below use them.`,
    );
  if (base) notes.push(`p95 ratio ours/baseline: ${fmtRatio(ratio)}`);
  if (nats) {
    notes.push(
      'NATS rows: prop = js.publish() call -> consumer callback start; ack = js.publish() call -> PubAck; CPU server = nats-server.',
    );
    notes.push(`durability, ${ours.label}: ${HUB_DURABILITY[o.store]}.`);
    if (base) notes.push(`durability, ${base.label}: none (nothing stored; acks on receipt).`);
    notes.push(...nats.notes);
    for (const r of nats.rows) notes.push(`p95 ratio ours/${r.label}: ${fmtRatio(ours.propagation.p95 / r.propagation.p95)}`);
  }
  notes.push(
    `targets: ${fmtRate(o.rate)} sustained with persistence: ${verdict(delivered >= o.rate * 0.98 && undelivered(ours, o.subscribers) === 0)} (${fmtRate(delivered)}); ` +
      `p95 < 5 ms: ${verdict(ours.propagation.p95 < 5)} (${fmtMs(ours.propagation.p95)})` +
      (base ? `; within 2x baseline p95: ${verdict(ratio <= 2)} (${fmtRatio(ratio)})` : ''),
  );
  for (const r of [ours, ...(base ? [base] : []), ...(nats?.rows ?? [])]) {
    const codes = Object.entries(r.pub.errorCodes).map(([c, n]) => `${c} x${n}`);
    if (r.pub.errors) notes.push(`${r.label}: ${r.pub.errors} publishes failed: ${codes.join(', ')}`);
    const drops = [
      ...Object.entries(r.pub.disconnects).map(([k, n]) => `publisher ${k} x${n}`),
      ...Object.entries(r.sub.disconnects).map(([k, n]) => `subscriber ${k} x${n}`),
    ];
    if (drops.length) notes.push(`${r.label}: connections dropped during the run: ${drops.join(', ')}`);
    if (r.pub.skipped) notes.push(`${r.label}: ${r.pub.skipped} sends skipped (more than 20,000 publishes awaiting acks)`);
  }
  printTable(title, header, rows, notes);
  for (const r of runRows.length ? runRows : [ours]) if (r.serverSamples?.length) printOverTime(r, o);

  if (!replay) return;
  const s = summarize(replay.times);
  printTable(
    `Replay: ${o.replay.toLocaleString('en')} events to one fresh agent (subscribe fromOffset, policy full), ${replay.times.length} trials`,
    ['trial', 'replayed (ack)', 'subscribe -> ack', 'subscribe -> last handled', 'events/s'],
    [
      ...replay.times.map((t, i) => [
        String(i + 1),
        String(replay.replayed[i]),
        fmtMs(replay.ackTimes[i]!),
        fmtMs(t),
        fmtRate(throughput(o.replay, t)),
      ]),
      ['p50 / max', '', '', `${fmtMs(s.p50)} / ${fmtMs(s.max)}`, ''],
    ],
    [
      'The hub reads the log and emits every replayed event before it acks the subscribe; the SDK holds them until the ack, then runs the handlers.',
      `target < 200 ms: ${verdict(s.p50 < 200)} at the median (${fmtMs(s.p50)}), ${verdict(s.max < 200)} at the worst (${fmtMs(s.max)})`,
      ...(replay.memory
        ? [
            `hub memory after the load run and the replays: RSS ${replay.memory.rssMb.toFixed(0)} MB, peak ${replay.memory.peakMb.toFixed(0)} MB (target RSS <= 250 MB on the default store)`,
          ]
        : []),
      ...(replay.settled
        ? [`the same hub left idle: RSS ${replay.settled.map((r) => `${r.rssMb.toFixed(0)} MB after ${r.afterS} s`).join(', ')}`]
        : []),
      ...(replay.storeMemory
        ? [
            `its store process: RSS ${replay.storeMemory.rssMb.toFixed(0)} MB, peak ${replay.storeMemory.peakMb.toFixed(0)} MB; hub + store ${(replay.memory!.rssMb + replay.storeMemory.rssMb).toFixed(0)} MB`,
          ]
        : []),
    ],
  );
}

/** The event bus remembers this many recent ids (RecentIds); a run must pass it to see a hub in steady state. */
const DEDUPE_WINDOW_IDS = 200_000;

async function runHub(o: Options): Promise<{ ours: LoadOutcome; replay: ReplayOutcome | null }> {
  let db: TestDatabase | null = null;
  if (o.store === 'postgres') db = await createTestDatabase();
  const dataDir = o.logRows > 0 && o.store === 'pglite' ? await mkdtemp(join(tmpdir(), 'agent-hub-bench-log-')) : undefined;
  if (o.logRows > 0) {
    const ms = dataDir ? await prefillPglite(dataDir, o.logRows, o.ids) : db ? await prefillPostgres(db.url, o.logRows, o.ids) : null;
    if (ms === null) throw new Error(`--log-rows needs --store=pglite or postgres`);
    console.log(
      `  the log holds ${fmtCount(o.logRows)} events (ids: ${o.ids === 'sdk' ? 'time-ordered' : 'random'}) before the hub starts: written in ${(ms / 1000).toFixed(1)} s`,
    );
  }
  const hub = await HubProcess.start({
    ...benchHub(),
    ...(dataDir ? { dataDir } : {}),
    env: { SESSION_LIMIT: '0', STORE: o.store, ...(db ? { DATABASE_URL: db.url } : {}), ...o.hubEnv },
    nodeArgs: [...o.hubArgs, ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])],
  });
  guardChild(hub.child);
  try {
    const ours = await runLoad(
      o.clients === 'raw' ? `agent hub (${o.store}, raw clients)` : `agent hub (${o.store})`,
      o.clients === 'raw' ? 'raw' : 'hub',
      hub.url,
      hub.child!.pid!,
      agentsFor('bench-pub', o.publishers, hub),
      agentsFor('bench-sub', o.subscribers, hub),
      o,
      () => hubMetrics(hub),
    );
    console.log(`  ${await groupCommitOf(hub)}`);
    console.log(`  ${await gcOf(hub)}`);
    console.log(`  ${threadSplit(ours.cpu)}`);
    if (ours.pub.sent < DEDUPE_WINDOW_IDS)
      console.log(
        `  ${ours.pub.sent.toLocaleString('en-US')} events: fewer than the hub's dedupe window (${DEDUPE_WINDOW_IDS.toLocaleString('en-US')} ids), so the steady state of a long-running hub is not measured (--duration=${Math.ceil(DEDUPE_WINDOW_IDS / o.rate) + 10} or more measures it)`,
      );
    const replay = o.replay > 0 ? await runReplay(hub, o.replay, o.replayTrials) : null;
    if (replay) {
      replay.memory = memoryOf(hub.child!.pid!);
      const storePid = storeProcessOf(hub.child!.pid!);
      if (storePid) replay.storeMemory = memoryOf(storePid);
      // V8 gives garbage back some seconds after the load ends (its memory reducer): how much.
      for (let afterS = 10; afterS <= o.settleS; afterS += 10) {
        await sleep(10_000);
        (replay.settled ??= []).push({ afterS, rssMb: memoryOf(hub.child!.pid!).rssMb });
      }
    }
    return { ours, replay };
  } finally {
    await hub.stop();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** How the hub's CPU in the measured window splits between its event loop and everything else. */
function threadSplit(cpu: Record<string, number>): string {
  const main = cpu.serverMain ?? Number.NaN;
  return `hub CPU (measured window): main thread ${fmtPct(main)}, other threads and the store process ${fmtPct((cpu.server ?? Number.NaN) - main)} (store worker, V8's GC and compiler helpers)`;
}

/** The hub's group commit over the whole load run, from its /metrics histograms. */
async function groupCommitOf(hub: HubProcess): Promise<string> {
  const value = await hubMetrics(hub);
  const batches = value(COMMITS);
  const events = value('agenthub_event_log_committed_total');
  const seconds = value(COMMIT_SECONDS);
  const pushback = `; publishes refused for overload (RATE_LIMITED, re-sent by the SDK): ${fmtCount(value(OVERLOAD_REFUSALS))}`;
  if (!(batches > 0)) return `group commit: no batches reported${pushback}`;
  // Stalls an average hides (a WAL segment made inside a commit took 20-70 ms before the store made them ahead).
  const slow = batches - value(`${COMMIT_BUCKET}{le="0.025"}`);
  return `group commit (whole run): ${batches.toLocaleString('en-US')} batches, ${(events / batches).toFixed(1)} events each, ${((seconds / batches) * 1000).toFixed(2)} ms each on average, ${fmtCount(slow)} over 25 ms${pushback}`;
}

/**
 * The hub's main-thread garbage collections over the whole run (start, warm-up and load), from
 * prom-client's `nodejs_gc_duration_seconds`: young-generation scavenges pause the event loop for
 * ~1 ms each at this load, so how often they come (per 1,000 events) tracks what the hub allocates
 * per event, and their pauses are part of its latency tail.
 */
async function gcOf(hub: HubProcess): Promise<string> {
  const value = await hubMetrics(hub);
  const events = value('agenthub_event_log_committed_total');
  const kind = (k: string) => ({
    n: value(`nodejs_gc_duration_seconds_count{kind="${k}"}`),
    s: value(`nodejs_gc_duration_seconds_sum{kind="${k}"}`),
  });
  const minor = kind('minor');
  const major = kind('major');
  if (!(minor.n > 0) || !(events > 0)) return 'main-thread GC: not reported';
  const per1k = (n: number) => ((n / events) * 1000).toFixed(2);
  const avg = (g: { n: number; s: number }) => (g.n > 0 ? ((g.s / g.n) * 1000).toFixed(2) : '?');
  return `main-thread GC (whole run): ${fmtCount(minor.n)} scavenges (${per1k(minor.n)} per 1,000 events, ${avg(minor)} ms each), ${fmtCount(major.n)} full collections (${avg(major)} ms each)`;
}

async function runBaseline(o: Options): Promise<LoadOutcome> {
  const relay = WorkerProcess.start(RELAY);
  try {
    const { url } = await relay.call<{ url: string }>('listen');
    return await runLoad(
      'bare Socket.IO relay',
      'bare',
      url,
      relay.pid,
      agentsFor('p', o.publishers, null),
      agentsFor('s', o.subscribers, null),
      o,
    );
  } finally {
    await relay.stop();
  }
}

/** Whether to run the NATS rows: asked before the hub starts, so a skip (or a refusal) shows at once. */
async function natsWanted(o: Options): Promise<boolean> {
  if (o.nats === false) return false;
  const probe: Probe = await probeNats();
  if (probe.ok) return true;
  if (o.nats === true) throw new Error(`--nats: ${probe.reason}`);
  console.log(skipLine(probe));
  return false;
}

async function main(): Promise<void> {
  const o = readOptions();
  const withNats = await natsWanted(o);
  if (o.runs === 1) {
    const { ours, replay } = await runHub(o);
    const base = o.baseline ? await runBaseline(o) : null;
    const nats = withNats ? await runNats(o, o.natsServerBin) : null;
    return report(o, ours, base, replay, nats);
  }
  // Interleaved, so a slow minute of the machine hits every system alike.
  const hubs: LoadOutcome[] = [];
  const bases: LoadOutcome[] = [];
  const natsRuns: NatsResult[] = [];
  let replay: ReplayOutcome | null = null;
  for (let i = 1; i <= o.runs; i++) {
    const r = await runHub({ ...o, replay: i === 1 ? o.replay : 0 });
    replay ??= r.replay;
    hubs.push({ ...r.ours, label: `${r.ours.label} #${i}` });
    if (o.baseline) {
      const b = await runBaseline(o);
      bases.push({ ...b, label: `${b.label} #${i}` });
    }
    if (withNats) {
      const n = await runNats(o, o.natsServerBin);
      natsRuns.push({ ...n, rows: n.rows.map((x) => ({ ...x, label: `${x.label} #${i}` })) });
    }
  }
  const nats: NatsResult | null = natsRuns.length
    ? {
        notes: natsRuns[0]!.notes,
        rows: natsRuns[0]!.rows.map((_, k) =>
          medianOf(
            natsRuns.map((n) => n.rows[k]!),
            o.runs,
          ),
        ),
      }
    : null;
  const runRows = [...hubs, ...bases, ...natsRuns.flatMap((n) => n.rows)];
  report(o, medianOf(hubs, o.runs), bases.length ? medianOf(bases, o.runs) : null, replay, nats, runRows);
}

/** Each column's median over the runs; counts (sent, delivered) from the run with the median p95. */
function medianOf<T extends LoadOutcome>(runs: T[], n: number): T {
  const byP95 = [...runs].sort((a, b) => a.propagation.p95 - b.propagation.p95);
  const mid = byP95[Math.floor((byP95.length - 1) / 2)]!;
  const keys = new Set(runs.flatMap((r) => Object.keys(r.cpu)));
  return {
    ...mid,
    label: `${mid.label.replace(/ #\d+$/, '')} — median of ${n}`,
    propagation: medianSummary(runs.map((r) => r.propagation)),
    ack: medianSummary(runs.map((r) => r.ack)),
    cpu: Object.fromEntries([...keys].map((k) => [k, median(runs.map((r) => r.cpu[k] ?? Number.NaN))])),
  };
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
