/**
 * Health monitoring: time to detect a frozen agent and a zombie, the share of zombies the
 * `restart` strategy recovers, and the hub's CPU cost of heartbeats for 1,000 idle agents.
 *
 *   node --import tsx bench/health.ts [--quick] [--agents=1000]
 *
 * Three hubs, one after the other, each with the settings its measurement needs:
 *   A. heartbeat only (LIVENESS_INTERVAL_MS=1 h): idle CPU with 0 agents, then with 1,000 agents;
 *   B. defaults: SIGSTOP trials, then CPU for 1,000 agents with liveness probes every 5 s too
 *      (--quick skips B: 250 agents, and the SIGSTOP trials run on A, whose heartbeat is the default);
 *   C. LIVENESS_INTERVAL_MS=1000, LIVENESS_TIMEOUT_MS=500: zombie trials with `restart`.
 * The CPU baseline beside the hub: as many bare socket.io-client sockets idling on a bare
 * Socket.IO server (bench/bare-relay.ts) with the same heartbeat settings.
 */
import { fileURLToPath } from 'node:url';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { guardChild, sleep } from './child-guard.ts';
import { CpuMeter } from './cpu-meter.ts';
import { Flags } from './flags.ts';
import { freezeTrials, zombieTrials, type FreezeTrials, type ZombieTrials } from './health-trials.ts';
import { fmtMs, fmtPct, printTable, summarize } from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';

const FLEET_WORKER = fileURLToPath(new URL('./idle-agent-worker.ts', import.meta.url));
const RELAY = fileURLToPath(new URL('./bare-relay.ts', import.meta.url));
const HEARTBEAT_MS = 1500; // HEARTBEAT_INTERVAL_MS and HEARTBEAT_TIMEOUT_MS defaults
const ZOMBIE_ENV = { LIVENESS_INTERVAL_MS: '1000', LIVENESS_TIMEOUT_MS: '500', RECOVERY_TIMEOUT_MS: '10000' };
// Dozens of injected failures would otherwise trip degraded mode, which is not what is measured.
const NO_DEGRADE = { DEGRADE_FAILURES: '100000' };

interface Plan {
  freezeAgents: number;
  freezeRounds: number;
  zombies: number;
  zombieBatch: number;
  fleet: number;
  sampleMs: number;
  idleSampleMs: number;
  probeSampleMs: number;
}

interface CpuRow {
  label: string;
  agents: number;
  hub: number;
  fleet: number;
  others: number;
  connectMs?: number;
}

async function startHub(env: Record<string, string>): Promise<HubProcess> {
  const hub = await HubProcess.start({ ...benchHub(), env: { ...NO_DEGRADE, ...env } });
  guardChild(hub.child);
  return hub;
}

/** What the idle fleet connects to: a hub process, or the bare Socket.IO relay (baseline). */
interface FleetTarget {
  mode: 'hub' | 'bare';
  pid: number;
  url: string;
  token(agentId: string): string;
}

const hubTarget = (hub: HubProcess): FleetTarget => ({
  mode: 'hub',
  pid: hub.child!.pid!,
  url: hub.url,
  token: (id) => hub.tokens.issue(id),
});

/** Samples CPU over `ms` for the server and (if any) the fleet's worker processes. */
async function sampleCpu(target: FleetTarget, workers: WorkerProcess[], ms: number): Promise<Omit<CpuRow, 'label' | 'agents'>> {
  const pids: Record<string, number> = { hub: target.pid, runner: process.pid };
  workers.forEach((w, i) => (pids[`fleet${i}`] = w.pid));
  const meter = new CpuMeter(pids);
  meter.start();
  await sleep(ms);
  const r = meter.stop();
  const fleet = workers.reduce((sum, _, i) => sum + r[`fleet${i}`]!, 0);
  return { hub: r.hub!, fleet, others: r.others! };
}

/** Connects `n` idle agents (or bare sockets) from two worker processes, samples CPU, disconnects them. */
async function fleetCpu(target: FleetTarget, label: string, n: number, ms: number): Promise<CpuRow> {
  const workers = [WorkerProcess.start(FLEET_WORKER), WorkerProcess.start(FLEET_WORKER)];
  try {
    const t0 = performance.now();
    const got = await Promise.all(
      workers.map((w, k) => {
        const agents = Array.from({ length: n / workers.length }, (_, i) => `idle-${k}-${i}`).map((agentId) => ({
          agentId,
          token: target.token(agentId),
        }));
        return w.call<{ connected: number }>('connect', { mode: target.mode, url: target.url, agents }, 120_000);
      }),
    );
    const connectMs = performance.now() - t0;
    const connected = got.reduce((s, g) => s + g.connected, 0);
    // Let registration-time work (agent upserts, transition events) settle before sampling.
    await sleep(2000);
    return { label, agents: connected, connectMs, ...(await sampleCpu(target, workers, ms)) };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** Baseline: the same number of bare socket.io-client sockets idling on a bare Socket.IO server. */
async function bareFleetCpu(n: number, ms: number): Promise<CpuRow> {
  const relay = WorkerProcess.start(RELAY);
  try {
    const { url } = await relay.call<{ url: string }>('listen');
    return await fleetCpu({ mode: 'bare', pid: relay.pid, url, token: () => '' }, 'baseline: bare Socket.IO server, same heartbeat', n, ms);
  } finally {
    await relay.stop();
  }
}

function printDetection(freeze: FreezeTrials, zombies: ZombieTrials): void {
  const row = (name: string, xs: number[]) => {
    const s = summarize(xs);
    return [name, String(s.n), fmtMs(s.p50), fmtMs(s.p95), fmtMs(s.max)];
  };
  printTable(
    'Failure detection (operator socket receives the transition)',
    ['failure', 'trials', 'p50', 'p95', 'max'],
    [
      row('SIGSTOP -> disconnected (heartbeat 1500 ms + timeout 1500 ms, defaults)', freeze.detectMs),
      row('zombie: registered -> zombie (liveness 1000 ms, timeout 500 ms, 2 probes)', zombies.detectMs),
      row('zombie -> healthy again after `restart`', zombies.recoverMs),
    ],
    [
      `disconnect reasons: ${Object.entries(freeze.reasons)
        .map(([r, n]) => `${r} x${n}`)
        .join(', ')}`,
      `expected bounds: frozen ${HEARTBEAT_MS}-${2 * HEARTBEAT_MS} ms after the freeze (next ping + pong timeout); ` +
        'zombie <= 2 probe intervals + timeout after registering (probes run on one hub-wide 1 s tick).',
      `restart strategy: ${zombies.recovered}/${zombies.injected} injected zombies recovered on their own` +
        (zombies.failed ? ` (${zombies.failed} marked failed / timed out)` : ''),
    ],
  );
}

function printCpu(rows: CpuRow[], idle: CpuRow): void {
  const bare = (r: CpuRow) => r.label.startsWith('baseline');
  printTable(
    'Server CPU for idle connections (share of one core; /proc/<pid>/stat utime+stime)',
    ['server', 'agents', 'server CPU', 'over idle hub', "agents' CPU (2 workers)", 'rest of machine', 'connect time'],
    [idle, ...rows].map((r) => [
      r.label,
      String(r.agents),
      fmtPct(r.hub),
      r === idle || bare(r) ? '–' : fmtPct(r.hub - idle.hub),
      r === idle ? '–' : fmtPct(r.fleet),
      fmtPct(r.others),
      r.connectMs ? fmtMs(r.connectMs) : '–',
    ]),
    rows.map((r) => {
      const pings = (r.agents * 1000) / HEARTBEAT_MS;
      const cost = bare(r) ? r.hub : r.hub - idle.hub;
      return `${r.label}: ${Math.round(pings)} ping/pong per s -> ${((cost * 1e6) / pings).toFixed(0)} µs of server CPU per ping/pong (all idle-time work included)`;
    }),
  );
}

async function main(): Promise<void> {
  const f = new Flags();
  const quick = f.has('quick');
  const fleet = f.number('agents', quick ? 250 : 1000);
  const p: Plan = quick
    ? { freezeAgents: 3, freezeRounds: 2, zombies: 5, zombieBatch: 5, fleet, sampleMs: 6000, idleSampleMs: 4000, probeSampleMs: 0 }
    : {
        freezeAgents: 10,
        freezeRounds: 2,
        zombies: 20,
        zombieBatch: 10,
        fleet,
        sampleMs: 20_000,
        idleSampleMs: 10_000,
        probeSampleMs: 10_000,
      };

  const cpuRows: CpuRow[] = [];
  let baseline: CpuRow;
  let freeze: FreezeTrials | null = null;
  const a = await startHub({ LIVENESS_INTERVAL_MS: '3600000' });
  try {
    await sleep(2000);
    baseline = { label: 'idle hub, no agents', agents: 0, ...(await sampleCpu(hubTarget(a), [], p.idleSampleMs)) };
    cpuRows.push(await fleetCpu(hubTarget(a), 'heartbeat only (liveness probes off)', p.fleet, p.sampleMs));
    // Quick runs save a hub start: the heartbeat (what SIGSTOP trips) is at its defaults here too.
    if (!p.probeSampleMs) freeze = await freezeTrials(a, p.freezeAgents, p.freezeRounds, HEARTBEAT_MS);
  } finally {
    await a.stop();
  }

  if (!freeze) {
    const b = await startHub({});
    try {
      freeze = await freezeTrials(b, p.freezeAgents, p.freezeRounds, HEARTBEAT_MS);
      cpuRows.push(await fleetCpu(hubTarget(b), 'defaults (heartbeat + liveness every 5 s)', p.fleet, p.probeSampleMs));
    } finally {
      await b.stop();
    }
  }

  cpuRows.push(await bareFleetCpu(p.fleet, p.probeSampleMs || p.sampleMs));

  const c = await startHub(ZOMBIE_ENV);
  let zombies: ZombieTrials;
  try {
    zombies = await zombieTrials(c, p.zombies, p.zombieBatch, Number(ZOMBIE_ENV.RECOVERY_TIMEOUT_MS));
  } finally {
    await c.stop();
  }

  printDetection(freeze, zombies);
  printCpu(cpuRows, baseline);
  console.log(
    `  (CPU sampled over ${p.sampleMs / 1000} s for the heartbeat-only row, ${p.idleSampleMs / 1000} s for the idle hub` +
      `${p.probeSampleMs ? `, ${p.probeSampleMs / 1000} s for the defaults and baseline rows` : ''}.)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
