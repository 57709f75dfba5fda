/**
 * Event throughput and propagation latency through 1, 2 and 3 hub nodes sharing one PostgreSQL and
 * one Redis on this machine. Publishers connect to the first node, subscribers to the last, so with
 * 2 or 3 nodes every event crosses the Redis adapter. Each configuration runs at a moderate and at
 * a saturating offered rate. `--nodes=0` is one node without Redis (PostgreSQL only): the figure the
 * "one node with Redis" row is judged against, measured in the same process tree. With `--runs=N`
 * every configuration runs N times, interleaved (0, 1, 2, 0, 1, 2, …), and the table adds medians.
 *
 *   node --import tsx bench/cluster.ts [--nodes=0,1,2,3] [--rates=5000,20000] [--duration=5] [--runs=1] [--quick]
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, deleteKeysWithPrefix } from '@agent-hub/store';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { guardChild, sleep } from './child-guard.ts';
import { CpuMeter, waitForQuiet } from './cpu-meter.ts';
import type { PublishReport, RunArgs, SubscribeReport } from './event-load-worker.ts';
import { Flags } from './flags.ts';
import { fmtMs, fmtPct, fmtRate, latencyCells, median, medianSummary, printTable, summarize, throughput, type Summary } from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';

const LOAD_WORKER = fileURLToPath(new URL('./event-load-worker.ts', import.meta.url));
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const f = new Flags();
const quick = f.has('quick');
const nodeCounts = f.string('nodes', '1,2,3').split(',').map(Number);
const rates = f
  .string('rates', quick ? '5000' : '5000,20000')
  .split(',')
  .map(Number);
const measureMs = f.number('duration', quick ? 3 : 5) * 1000;
const runs = Math.max(1, f.number('runs', 1));
const warmupMs = 2000;

interface Outcome {
  sent: number;
  delivered: number;
  undelivered: number;
  prop: Summary;
  ackP95: number;
  /** Share of one core: every hub node together, the publisher's and the subscriber's process, the rest of the machine (PostgreSQL, Redis, anyone else). */
  cpu: { hubs: number; pub: number; sub: number; rest: number };
}

/** `n` nodes on Redis; `n = 0` is one node without Redis. */
async function runOne(n: number, rate: number): Promise<Outcome> {
  const db = await createTestDatabase();
  const prefix = `bench${randomBytes(4).toString('hex')}:`;
  const token = randomBytes(18).toString('base64url');
  const agentSecret = randomBytes(18).toString('base64url');
  const redis: Record<string, string> = n > 0 ? { REDIS_URL, REDIS_PREFIX: prefix } : {};
  const env = { DATABASE_URL: db.url, ...redis, SESSION_LIMIT: '0' };
  const nodes: HubProcess[] = [];
  const pubW = WorkerProcess.start(LOAD_WORKER);
  const subW = WorkerProcess.start(LOAD_WORKER);
  try {
    for (let i = 0; i < Math.max(1, n); i++) {
      const hub = await HubProcess.start({ ...benchHub(), env: { ...env, NODE_ID: `bench-node-${i}` }, token, agentSecret });
      guardChild(hub.child);
      nodes.push(hub);
    }
    // A shared machine: let the start-up (and anyone else's burst) settle before measuring.
    await waitForQuiet(15_000);
    const first = nodes[0]!;
    const last = nodes[nodes.length - 1]!;
    await subW.call('connect', {
      mode: 'hub',
      url: last.url,
      agents: [{ agentId: 'sub-0', token: first.tokens.issue('sub-0') }],
      pattern: 'bench:*',
    });
    await pubW.call('connect', { mode: 'hub', url: first.url, agents: [{ agentId: 'pub-0', token: first.tokens.issue('pub-0') }] });
    const args: RunArgs = { rate, warmupMs, measureMs, topicPrefix: 'bench:', room: 'bench' };
    const meter = new CpuMeter({ hubs: nodes.map((h) => h.child!.pid!), pub: pubW.pid, sub: subW.pid });
    meter.start();
    const pub = await pubW.call<PublishReport>('run', args, warmupMs + measureMs + 60_000);
    const cpu = meter.stop();
    // Let the deliveries drain (up to 5 s) before reading the subscriber's samples.
    for (let i = 0; i < 50; i++) {
      const { received } = await subW.call<{ received: number }>('progress');
      if (received >= pub.measuredSent) break;
      await sleep(100);
    }
    const sub = await subW.call<SubscribeReport>('report');
    return {
      sent: throughput(pub.measuredSent, measureMs),
      delivered: throughput(sub.received, sub.lastAt - sub.firstAt),
      undelivered: pub.measuredSent - sub.received + pub.skipped,
      prop: summarize(sub.latencies),
      ackP95: summarize(pub.acks).p95,
      cpu: { hubs: cpu.hubs!, pub: cpu.pub!, sub: cpu.sub!, rest: cpu.others! },
    };
  } finally {
    await Promise.all([pubW.stop(), subW.stop()]);
    await Promise.all(nodes.map((h) => h.stop()));
    await db.drop();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  }
}

const label = (n: number) => (n === 0 ? '1, no Redis' : String(n));

function cells(label: string, rate: number, o: Outcome): string[] {
  const c = o.cpu;
  return [
    label,
    fmtRate(rate),
    fmtRate(o.sent),
    fmtRate(o.delivered),
    String(o.undelivered),
    ...latencyCells(o.prop),
    fmtMs(o.ackP95),
    `${fmtPct(c.hubs)} / ${fmtPct(c.pub)} / ${fmtPct(c.sub)} / ${fmtPct(c.rest)}`,
  ];
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  for (const rate of rates) {
    const byNodes = new Map<number, Outcome[]>(nodeCounts.map((n) => [n, []]));
    for (let r = 0; r < runs; r++) for (const n of nodeCounts) byNodes.get(n)!.push(await runOne(n, rate));
    for (const n of nodeCounts) {
      const outs = byNodes.get(n)!;
      for (const o of outs) rows.push(cells(label(n), rate, o));
      if (runs === 1) continue;
      const med = (pick: (o: Outcome) => number) => median(outs.map(pick));
      const mid: Outcome = {
        sent: med((o) => o.sent),
        delivered: med((o) => o.delivered),
        undelivered: med((o) => o.undelivered),
        prop: medianSummary(outs.map((o) => o.prop)),
        ackP95: med((o) => o.ackP95),
        cpu: { hubs: med((o) => o.cpu.hubs), pub: med((o) => o.cpu.pub), sub: med((o) => o.cpu.sub), rest: med((o) => o.cpu.rest) },
      };
      rows.push(cells(`${label(n)}: median of ${runs}`, rate, mid));
    }
    const base = byNodes.get(0);
    const one = byNodes.get(1);
    if (base && one) {
      const ratio = median(one.map((o) => o.prop.p95)) / median(base.map((o) => o.prop.p95));
      console.log(`one node with Redis / without, p95 at ${fmtRate(rate)}: ${ratio.toFixed(2)}x (target <= 2x)`);
    }
  }
  printTable(
    `Cluster: 1 publisher on node 1 -> 1 subscriber on node N, 100-byte events, PostgreSQL + Redis, ${measureMs / 1000} s measured`,
    [
      'nodes',
      'offered',
      'sent',
      'delivered',
      'undelivered',
      'prop p50',
      'prop p95',
      'prop p99',
      'prop max',
      'ack p95',
      'CPU hubs / pub / sub / rest',
    ],
    rows,
    [
      'All nodes, PostgreSQL, Redis and the load run on one 2-core machine: more nodes add hops and share the same cores,',
      'so this shows the cost of crossing nodes, not the capacity a cluster of separate machines would have.',
    ],
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
