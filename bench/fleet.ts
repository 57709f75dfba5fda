/**
 * A large idle fleet: what 5,000 connected agents cost the hub against a bare Socket.IO server with
 * the same heartbeat, how fast agents connect and register, and whether a connect storm gets in.
 *
 *   pnpm bench fleet [--agents=5000] [--runs=3] [--workers=4] [--sample=20] [--quick]
 *                    [--hub-env=NAME=value,...] [--no-baseline] [--profile=DIR]
 *                    [--hub-args=--flag,...]   (extra node/V8 flags for the hub, after the launch's own: they win)
 *
 * Each run, for the hub (default store, default heartbeat and liveness probes) and then the bare
 * server (bench/bare-relay.ts, same ping settings), interleaved `--runs` times:
 *   1. connect rate: the fleet connects (and, on the hub, registers) 25 at a time per worker;
 *      agents/s = fleet / time until the last one is in; the server's CPU time per connection in
 *      that phase (ms of CPU per agent) tells its own cost apart from the machine's contention;
 *   2. idle CPU: after 2 s of settling, the server's CPU over `--sample` seconds;
 *   3. storm: everyone disconnects, then all reconnect at once (every handshake started together);
 *      time until the last is in, and the failed attempts, typed (a hub error code the SDK retries)
 *      or untyped (network errors, timeouts).
 * The table reports each column's median over the runs.
 */
import { fileURLToPath } from 'node:url';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { guardChild, sleep } from './child-guard.ts';
import { CpuMeter, memoryOf, storeProcessOf, waitForQuiet } from './cpu-meter.ts';
import { Flags } from './flags.ts';
import type { ConnectResult } from './idle-agent-worker.ts';
import { fmtPct, median, printTable } from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';

const FLEET_WORKER = fileURLToPath(new URL('./idle-agent-worker.ts', import.meta.url));
const RELAY = fileURLToPath(new URL('./bare-relay.ts', import.meta.url));

interface Options {
  agents: number;
  runs: number;
  workers: number;
  sampleMs: number;
  hubEnv: Record<string, string>;
  /** Extra node/V8 flags for the hub (`--hub-args=--trace-gc`), for experiments. */
  hubArgs: string[];
  baseline: boolean;
  /** Write the hub's CPU profile (`--cpu-prof`) into this folder. */
  profileDir: string;
}

interface Target {
  mode: 'hub' | 'bare';
  pid: number;
  url: string;
  token(agentId: string): string;
  rssMb(): number;
}

interface RunRow {
  system: string;
  connected: number;
  connectPerSec: number;
  /** Server CPU time per connection while the fleet connected (ms). */
  connectCpuMs: number;
  /** The fleet's share of the cores while it connected. */
  connectFleetCpu: number;
  cpu: number;
  fleetCpu: number;
  others: number;
  rssMb: number;
  stormMs: number;
  stormIn: number;
  /** When half, 90 % and 99 % of the fleet were in during the storm (ms). */
  stormHalfMs: number;
  storm90Ms: number;
  storm99Ms: number;
  /** The server's and the fleet's shares of the cores during the storm. */
  stormServerCpu: number;
  stormFleetCpu: number;
  typed: Record<string, number>;
  untyped: Record<string, number>;
}

const rssOf = (pid: number) => memoryOf(pid).rssMb;

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * When `fraction` of the whole fleet (`total`, not only those that got in) was in, from ascending
 * times; Infinity when that many never got in (so that medians still sort).
 */
function inTime(sortedMs: number[], fraction: number, total: number): number {
  const k = Math.ceil(fraction * total);
  return k <= sortedMs.length ? sortedMs[k - 1]! : Number.POSITIVE_INFINITY;
}

async function connectAll(target: Target, workers: WorkerProcess[], n: number, storm: boolean): Promise<ConnectResult> {
  const t0 = performance.now();
  const per = Math.ceil(n / workers.length);
  const results = await Promise.all(
    workers.map((w, k) => {
      const agents = Array.from({ length: per }, (_, i) => `fleet-${k}-${i}`).map((agentId) => ({ agentId, token: target.token(agentId) }));
      return w.call<ConnectResult>('connect', { mode: target.mode, url: target.url, agents, concurrency: storm ? per : 25 }, 180_000);
    }),
  );
  const out: ConnectResult = { connected: 0, ms: performance.now() - t0, typed: {}, untyped: {}, inAtMs: [] };
  for (const r of results) {
    out.connected += r.connected;
    merge(out.typed, r.typed);
    merge(out.untyped, r.untyped);
    out.inAtMs.push(...r.inAtMs);
  }
  out.inAtMs.sort((x, y) => x - y);
  return out;
}

async function measure(target: Target, label: string, o: Options): Promise<RunRow> {
  const workers = Array.from({ length: o.workers }, () => WorkerProcess.start(FLEET_WORKER));
  try {
    // Workers load their modules first, so the connect rate measures connecting only.
    await Promise.all(workers.map((w) => w.call('connected')));
    // The hub's store process (PGlite's) counts as the server's, as it did as a thread.
    const storePid = storeProcessOf(target.pid);
    const pids: Record<string, number | number[]> = { server: storePid ? [target.pid, storePid] : target.pid, runner: process.pid };
    workers.forEach((w, i) => (pids[`w${i}`] = w.pid));
    const connectMeter = new CpuMeter(pids);
    connectMeter.start();
    const paced = await connectAll(target, workers, o.agents, false);
    const connectCpu = connectMeter.stop();
    await sleep(2000);
    const meter = new CpuMeter(pids);
    meter.start();
    await sleep(o.sampleMs);
    const cpu = meter.stop();
    const rssMb = target.rssMb();
    await Promise.all(workers.map((w) => w.call('close')));
    // Let the server notice every disconnect before the storm.
    await sleep(3000);
    const stormMeter = new CpuMeter(pids);
    stormMeter.start();
    const storm = await connectAll(target, workers, o.agents, true);
    const stormCpu = stormMeter.stop();
    const typed = { ...paced.typed };
    merge(typed, storm.typed);
    const untyped = { ...paced.untyped };
    merge(untyped, storm.untyped);
    await Promise.all(workers.map((w) => w.call('close')));
    return {
      system: label,
      connected: paced.connected,
      connectPerSec: (paced.connected * 1000) / paced.ms,
      connectCpuMs: (connectCpu.server! * paced.ms) / Math.max(1, paced.connected),
      connectFleetCpu: workers.reduce((s, _, i) => s + connectCpu[`w${i}`]!, 0),
      cpu: cpu.server!,
      fleetCpu: workers.reduce((s, _, i) => s + cpu[`w${i}`]!, 0),
      others: cpu.others!,
      rssMb,
      stormMs: storm.ms,
      stormIn: storm.connected,
      stormHalfMs: inTime(storm.inAtMs, 0.5, o.agents),
      storm90Ms: inTime(storm.inAtMs, 0.9, o.agents),
      storm99Ms: inTime(storm.inAtMs, 0.99, o.agents),
      stormServerCpu: stormCpu.server!,
      stormFleetCpu: workers.reduce((s, _, i) => s + stormCpu[`w${i}`]!, 0),
      typed,
      untyped,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function runHub(o: Options): Promise<RunRow> {
  const hub = await HubProcess.start({
    ...benchHub(),
    env: { DEGRADE_FAILURES: '100000', ...o.hubEnv },
    nodeArgs: [...o.hubArgs, ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])],
  });
  guardChild(hub.child);
  try {
    const pid = hub.child!.pid!;
    return await measure(
      { mode: 'hub', pid, url: hub.url, token: (id) => hub.tokens.issue(id), rssMb: () => rssOf(pid) + rssOf(storeProcessOf(pid) ?? -1) },
      'hub (PGlite, defaults)',
      o,
    );
  } finally {
    await hub.stop();
  }
}

async function runBare(o: Options): Promise<RunRow> {
  const relay = WorkerProcess.start(RELAY);
  try {
    const { url } = await relay.call<{ url: string }>('listen');
    return await measure({ mode: 'bare', pid: relay.pid, url, token: () => '', rssMb: () => rssOf(relay.pid) }, 'bare Socket.IO server', o);
  } finally {
    await relay.stop();
  }
}

function medianRow(rows: RunRow[]): RunRow {
  const typed: Record<string, number> = {};
  const untyped: Record<string, number> = {};
  rows.forEach((r) => (merge(typed, r.typed), merge(untyped, r.untyped)));
  return {
    system: `${rows[0]!.system} — median of ${rows.length}`,
    connected: median(rows.map((r) => r.connected)),
    connectPerSec: median(rows.map((r) => r.connectPerSec)),
    connectCpuMs: median(rows.map((r) => r.connectCpuMs)),
    connectFleetCpu: median(rows.map((r) => r.connectFleetCpu)),
    cpu: median(rows.map((r) => r.cpu)),
    fleetCpu: median(rows.map((r) => r.fleetCpu)),
    others: median(rows.map((r) => r.others)),
    rssMb: median(rows.map((r) => r.rssMb)),
    stormMs: median(rows.map((r) => r.stormMs)),
    stormIn: median(rows.map((r) => r.stormIn)),
    stormHalfMs: median(rows.map((r) => r.stormHalfMs)),
    storm90Ms: median(rows.map((r) => r.storm90Ms)),
    storm99Ms: median(rows.map((r) => r.storm99Ms)),
    stormServerCpu: median(rows.map((r) => r.stormServerCpu)),
    stormFleetCpu: median(rows.map((r) => r.stormFleetCpu)),
    typed,
    untyped,
  };
}

const fmtCounts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ') || '0';

async function main(): Promise<void> {
  const f = new Flags();
  const quick = f.has('quick');
  const o: Options = {
    agents: f.number('agents', quick ? 1000 : 5000),
    runs: f.number('runs', quick ? 1 : 3),
    workers: f.number('workers', 4),
    sampleMs: f.number('sample', quick ? 8 : 20) * 1000,
    hubEnv: f.env('hub-env'),
    hubArgs: f.string('hub-args', '').split(',').filter(Boolean),
    baseline: !f.has('no-baseline'),
    profileDir: f.string('profile', ''),
  };
  const hub: RunRow[] = [];
  const bare: RunRow[] = [];
  for (let i = 0; i < o.runs; i++) {
    await waitForQuiet(15_000);
    hub.push(await runHub(o));
    if (!o.baseline) continue;
    await waitForQuiet(15_000);
    bare.push(await runBare(o));
  }
  const medians = o.runs > 1 ? [medianRow(hub), ...(bare.length ? [medianRow(bare)] : [])] : [];
  const rows = [...hub, ...bare, ...medians];
  printTable(
    `Idle fleet: ${o.agents} agents from ${o.workers} worker processes (default heartbeat 1500 + 1500 ms; hub with liveness probes every 5 s)`,
    [
      'system',
      'in',
      'connect (+register) /s',
      'server CPU per connect',
      'fleet CPU connecting',
      'server CPU idle',
      'fleet CPU',
      'rest',
      'server RSS',
      `storm: all ${o.agents} in`,
      'failed attempts: typed',
      'untyped',
    ],
    rows.map((r) => [
      r.system,
      String(r.connected),
      r.connectPerSec.toFixed(0),
      `${r.connectCpuMs.toFixed(2)} ms`,
      fmtPct(r.connectFleetCpu),
      fmtPct(r.cpu),
      fmtPct(r.fleetCpu),
      fmtPct(r.others),
      `${r.rssMb.toFixed(0)} MB`,
      r.stormIn === o.agents ? `${(r.stormMs / 1000).toFixed(1)} s` : `${r.stormIn} in, ${(r.stormMs / 1000).toFixed(1)} s`,
      fmtCounts(r.typed),
      fmtCounts(r.untyped),
    ]),
  );
  const h = medianRow(hub);
  const b = bare.length ? medianRow(bare) : undefined;
  // Where a storm's time goes: the whole fleet reconnects on the same two cores as the server, so
  // the server's share of them says whether it or the load generator held the storm back.
  const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never');
  for (const [name, r] of [
    ['hub', h],
    ['bare', b],
  ] as const) {
    if (!r) continue;
    console.log(
      `  storm, ${name}${o.runs > 1 ? ' (medians)' : ''}: half in ${sec(r.stormHalfMs)}, 90 % in ${sec(r.storm90Ms)}, 99 % in ${sec(r.storm99Ms)}, all in ${sec(r.stormMs)};` +
        ` CPU meanwhile: server ${fmtPct(r.stormServerCpu)}, fleet ${fmtPct(r.stormFleetCpu)} (of one core; 2 in all)`,
    );
  }
  if (!b) return;
  console.log(`  idle CPU ratio hub / bare: ${(h.cpu / b.cpu).toFixed(2)}x (target <= 1.5x)`);
  console.log(`  connect rate ratio hub / bare: ${(h.connectPerSec / b.connectPerSec).toFixed(2)}x (target >= 0.8x)`);
  // Server and fleet share the cores, so the rate follows their summed CPU per connect. With the
  // hub's own cost at zero the SDK fleet's alone would still set a ceiling on the ratio.
  const fleetMs = (r: RunRow) => (r.connectFleetCpu * 1000) / r.connectPerSec;
  const bareTotal = b.connectCpuMs + fleetMs(b);
  console.log(
    `  CPU per connect: hub ${h.connectCpuMs.toFixed(2)} + SDK fleet ${fleetMs(h).toFixed(2)} ms; bare ${b.connectCpuMs.toFixed(2)} + fleet ${fleetMs(b).toFixed(2)} ms` +
      ` (a hub costing nothing would reach ${(bareTotal / fleetMs(h)).toFixed(2)}x on these shared cores)`,
  );
  console.log(`  storm: ${h.stormIn}/${o.agents} in ${(h.stormMs / 1000).toFixed(1)} s (target: all within 10 s, no untyped errors)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
