/**
 * Event throughput and propagation latency through 1, 2 and 3 hub nodes sharing one PostgreSQL and
 * one Redis on this machine. Publishers connect to the first node, subscribers to the last, so with
 * 2 or 3 nodes every event crosses the Redis adapter. Each configuration runs at a moderate and at
 * a saturating offered rate.
 *
 *   node --import tsx bench/cluster.ts [--nodes=1,2,3] [--rates=5000,20000] [--duration=5] [--quick]
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, deleteKeysWithPrefix } from '@agent-hub/store';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { guardChild, sleep } from './child-guard.ts';
import { waitForQuiet } from './cpu-meter.ts';
import type { PublishReport, RunArgs, SubscribeReport } from './event-load-worker.ts';
import { Flags } from './flags.ts';
import { fmtMs, fmtRate, latencyCells, printTable, summarize, throughput } from './stats.ts';
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
const warmupMs = 2000;

async function runOne(n: number, rate: number): Promise<string[]> {
  const db = await createTestDatabase();
  const prefix = `bench${randomBytes(4).toString('hex')}:`;
  const token = randomBytes(18).toString('base64url');
  const agentSecret = randomBytes(18).toString('base64url');
  const env = { DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: prefix, SESSION_LIMIT: '0' };
  const nodes: HubProcess[] = [];
  const pubW = WorkerProcess.start(LOAD_WORKER);
  const subW = WorkerProcess.start(LOAD_WORKER);
  try {
    for (let i = 0; i < n; i++) {
      const hub = await HubProcess.start({ env: { ...env, NODE_ID: `bench-node-${i}` }, token, agentSecret });
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
    const pub = await pubW.call<PublishReport>('run', args, warmupMs + measureMs + 60_000);
    // Let the deliveries drain (up to 5 s) before reading the subscriber's samples.
    for (let i = 0; i < 50; i++) {
      const { received } = await subW.call<{ received: number }>('progress');
      if (received >= pub.measuredSent) break;
      await sleep(100);
    }
    const sub = await subW.call<SubscribeReport>('report');
    const prop = summarize(sub.latencies);
    const ack = summarize(pub.acks);
    return [
      String(n),
      fmtRate(rate),
      fmtRate(throughput(pub.measuredSent, measureMs)),
      fmtRate(throughput(sub.received, sub.lastAt - sub.firstAt)),
      String(pub.measuredSent - sub.received + pub.skipped),
      ...latencyCells(prop),
      fmtMs(ack.p95),
    ];
  } finally {
    await Promise.all([pubW.stop(), subW.stop()]);
    await Promise.all(nodes.map((h) => h.stop()));
    await db.drop();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  }
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  for (const rate of rates) for (const n of nodeCounts) rows.push(await runOne(n, rate));
  printTable(
    `Cluster: 1 publisher on node 1 -> 1 subscriber on node N, 100-byte events, PostgreSQL + Redis, ${measureMs / 1000} s measured`,
    ['nodes', 'offered', 'sent', 'delivered', 'undelivered', 'prop p50', 'prop p95', 'prop p99', 'prop max', 'ack p95'],
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
