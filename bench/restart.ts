/**
 * A graceful hub restart with N SDK agents connected: SIGTERM, the same hub again on the same port
 * and data, and how long until every agent — the same client objects — is back.
 *
 *   pnpm bench restart [--agents=1000] [--store=pglite|postgres] [--quick] [--no-baseline]
 *
 * The agents are the restart test's fleet fixture (apps/hub/test/fixtures/fleet-agents.ts), 250 per
 * worker process, each subscribed to `fleet:critical` (critical-only); a publisher here sends 10
 * critical events before, 10 during (hub down) and 10 after the restart, and every agent must handle
 * each exactly once. Baseline beside it: N plain socket.io-client sockets on a bare Socket.IO server
 * (bench/restart-bare-server.ts) killed by SIGTERM and started again, back by their own reconnection.
 * --store=postgres uses a fresh database on TEST_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectAgent } from '@agent-hub/sdk';
import { createTestDatabase, type TestDatabase } from '@agent-hub/store';
import type { AgentRecord, ConnectArgs } from '../apps/hub/test/fixtures/fleet-agents.ts';
import { freePort, HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { benchHub } from './hub-build.ts';
import { guardChild, sleep } from './child-guard.ts';
import { CpuMeter } from './cpu-meter.ts';
import { Flags } from './flags.ts';
import { fmtMs, fmtPct, latencyCells, printTable, summarize, type Summary } from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';

const FLEET = fileURLToPath(new URL('../apps/hub/test/fixtures/fleet-agents.ts', import.meta.url));
const BARE_FLEET = fileURLToPath(new URL('./idle-agent-worker.ts', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./restart-bare-server.ts', import.meta.url));
const TOPIC = 'fleet:critical';
const PER_WORKER = 250;
/** How long after the new server is ready the bench waits for the last client (it reports, not hangs). */
const BACK_WITHIN_MS = 60_000;

interface Options {
  agents: number;
  store: 'pglite' | 'postgres';
  baseline: boolean;
}

/** One restart, seen from the clients; times are epoch ms. */
interface Restart {
  label: string;
  clients: number;
  sigtermAt: number;
  exitedAt: number;
  readyAt: number;
  /** Last client back; null if some never came back within BACK_WITHIN_MS. */
  allBackAt: number | null;
  back: number;
  /** Per client: hub — its hub:shutdown notice -> `resumed`; baseline — SIGTERM -> connected (polled). */
  reconnect: Summary;
}

interface HubExtras {
  announced: { min: number; max: number; seen: number };
  /** The new hub from /ready until every agent was back (or the wait ended): CPU (share of a core) and RSS. */
  storm: {
    windowMs: number;
    hubCpu: number;
    fleetCpu: number;
    benchCpu: number;
    othersCpu: number;
    rssAtReadyMb: number;
    rssPeakMb: number;
  };
  published: number;
  publishFailures: string[];
  missed: number;
  duplicates: number;
}

const until = async (done: () => Promise<boolean>, deadline: number, everyMs = 100): Promise<boolean> => {
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
};

/** Peak resident set so far (VmHWM), in MB. */
function rssPeakMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function workersFor(n: number, file: string): WorkerProcess[] {
  return Array.from({ length: Math.max(1, Math.ceil(n / PER_WORKER)) }, () => WorkerProcess.start(file));
}

/** Splits agent ids over the workers, PER_WORKER each (the last one takes the rest). */
function shares(n: number, workers: number, prefix: string): string[][] {
  return Array.from({ length: workers }, (_, w) =>
    Array.from({ length: Math.min(PER_WORKER, n - w * PER_WORKER) }, (_, i) => `${prefix}-${w}-${i}`),
  );
}

/** The SDK agents' worker processes (the restart test's fixture), with their progress summed. */
class Fleet {
  private constructor(readonly workers: WorkerProcess[]) {}

  static async connect(hub: HubProcess, n: number): Promise<Fleet> {
    const fleet = new Fleet(workersFor(n, FLEET));
    const ids = shares(n, fleet.workers.length, 'restart-agent');
    try {
      await Promise.all(
        fleet.workers.map((w, k) => {
          const agents = ids[k]!.map((agentId) => ({ agentId, token: hub.tokens.issue(agentId) }));
          return w.call('connect', { url: hub.url, agents, topic: TOPIC } satisfies ConnectArgs, 120_000);
        }),
      );
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  async status(eventIds: string[]): Promise<{ resumed: number; complete: number }> {
    const all = await Promise.all(this.workers.map((w) => w.call<{ resumed: number; complete: number }>('status', { ids: eventIds })));
    return { resumed: all.reduce((s, x) => s + x.resumed, 0), complete: all.reduce((s, x) => s + x.complete, 0) };
  }

  async report(): Promise<AgentRecord[]> {
    return (await Promise.all(this.workers.map((w) => w.call<AgentRecord[]>('report')))).flat();
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

/** Starts measuring the new hub (and the agents' workers) at /ready; the returned function stops it. */
function watchStorm(hubPid: number, fleet: Fleet): () => HubExtras['storm'] {
  const readyAt = Date.now();
  const rssAtReadyMb = rssPeakMb(hubPid);
  const pids: Record<string, number> = { hub: hubPid, bench: process.pid };
  fleet.workers.forEach((w, i) => (pids[`fleet${i}`] = w.pid));
  const meter = new CpuMeter(pids);
  meter.start();
  return () => {
    const cpu = meter.stop();
    const fleetCpu = fleet.workers.reduce((s, _, i) => s + cpu[`fleet${i}`]!, 0);
    return {
      windowMs: Date.now() - readyAt,
      hubCpu: cpu.hub!,
      fleetCpu,
      benchCpu: cpu.bench!,
      othersCpu: cpu.others!,
      rssAtReadyMb,
      rssPeakMb: rssPeakMb(hubPid),
    };
  };
}

async function hubRestart(o: Options): Promise<{ restart: Restart; extras: HubExtras }> {
  let db: TestDatabase | null = null;
  if (o.store === 'postgres') db = await createTestDatabase();
  const hub = await HubProcess.start({ ...benchHub(), env: db ? { DATABASE_URL: db.url } : {} });
  guardChild(hub.child);
  let fleet: Fleet | null = null;
  try {
    const f = (fleet = await Fleet.connect(hub, o.agents));
    const pub = await connectAgent({
      url: hub.url,
      agentId: 'restart-publisher',
      token: hub.tokens.issue('restart-publisher'),
      requestTimeoutMs: BACK_WITHIN_MS,
    });
    const idsOf = (phase: string) => Array.from({ length: 10 }, (_, i) => `restart-${phase}-${i}`);
    const publish = (id: string) => pub.publish(TOPIC, { id }, { priority: 'critical', id });
    const eventIds = ['before', 'during', 'after'].flatMap(idsOf);
    for (const id of idsOf('before')) await publish(id);
    if (!(await until(async () => (await f.status(idsOf('before'))).complete === o.agents, Date.now() + 30_000))) {
      throw new Error('not every agent handled the events published before the restart');
    }

    const sigtermAt = Date.now();
    await hub.kill('SIGTERM');
    const exitedAt = Date.now();
    // Fired while the hub is down, not awaited one by one: they must survive the restart.
    const during = Promise.allSettled(idsOf('during').map(publish));
    await hub.spawn();
    const readyAt = Date.now();
    guardChild(hub.child);
    const storm = watchStorm(hub.child!.pid!, f);
    const after = Promise.allSettled(idsOf('after').map(publish));
    const allBack = await until(async () => (await f.status(eventIds)).resumed === o.agents, readyAt + BACK_WITHIN_MS);
    const stormFigures = storm();
    const settled = [...(await during), ...(await after)];
    if (allBack) await until(async () => (await f.status(eventIds)).complete === o.agents, Date.now() + 10_000);
    const records = await f.report();
    await pub.close();

    const resumed = records.flatMap((r) => (r.resumedAt === null ? [] : [r.resumedAt]));
    const announced = records.flatMap((r) => (r.reconnectAfterMs === null ? [] : [r.reconnectAfterMs]));
    const counts = records.flatMap((r) => eventIds.map((id) => r.handled[id] ?? 0));
    const reconnect = records.flatMap((r) => (r.shutdownAt !== null && r.resumedAt !== null ? [r.resumedAt - r.shutdownAt] : []));
    return {
      restart: {
        label: `agent hub (${o.store}), SDK agents`,
        clients: o.agents,
        sigtermAt,
        exitedAt,
        readyAt,
        allBackAt: resumed.length === o.agents ? Math.max(...resumed) : null,
        back: resumed.length,
        reconnect: summarize(reconnect),
      },
      extras: {
        announced: { min: Math.min(...announced), max: Math.max(...announced), seen: announced.length },
        storm: stormFigures,
        published: eventIds.length,
        publishFailures: settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : [])),
        missed: counts.filter((n) => n === 0).length,
        duplicates: counts.reduce((s, n) => s + Math.max(0, n - 1), 0),
      },
    };
  } finally {
    await fleet?.stop();
    await hub.stop();
    await db?.drop();
  }
}

/** The baseline server, started again on the same port after SIGTERM. */
function startBareServer(port: number): Promise<ChildProcess> {
  const child = fork(BARE_SERVER, [String(port)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  guardChild(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bare server exited ${code} before listening`)));
  });
}

async function bareRestart(n: number): Promise<Restart> {
  const port = await freePort();
  let server = await startBareServer(port);
  const workers = workersFor(n, BARE_FLEET);
  try {
    const ids = shares(n, workers.length, 'bare');
    const url = `http://127.0.0.1:${port}`;
    await Promise.all(
      workers.map((w, k) => w.call('connect', { mode: 'bare', url, agents: ids[k]!.map((agentId) => ({ agentId, token: '' })) }, 120_000)),
    );
    const connected = async () => (await Promise.all(workers.map((w) => w.call<number>('connected')))).reduce((s, x) => s + x, 0);

    const sigtermAt = Date.now();
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    const exitedAt = Date.now();
    // Every socket must have seen the close before "back" means anything.
    await until(async () => (await connected()) === 0, Date.now() + 10_000, 20);
    server = await startBareServer(port);
    const readyAt = Date.now();
    // No per-socket event here: polling the count gives each socket's time to within the poll interval.
    const backAt: number[] = [];
    await until(
      async () => {
        const c = await connected();
        while (backAt.length < c) backAt.push(Date.now() - sigtermAt);
        return c === n;
      },
      readyAt + BACK_WITHIN_MS,
      50,
    );
    return {
      label: 'baseline: bare Socket.IO, plain socket.io-client',
      clients: n,
      sigtermAt,
      exitedAt,
      readyAt,
      allBackAt: backAt.length === n ? sigtermAt + backAt.at(-1)! : null,
      back: backAt.length,
      reconnect: summarize(backAt),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    server.kill('SIGTERM');
  }
}

function print(hub: Restart, extras: HubExtras, base: Restart | null): void {
  const rows = [hub, ...(base ? [base] : [])];
  const storm = extras.storm;
  printTable(
    'Graceful restart: SIGTERM, same server again on the same port; time until every client is back',
    ['server', 'clients', 'SIGTERM->exit', 'SIGTERM->ready', 'SIGTERM->all back', 'back', 'reconnect p50', 'p95', 'p99', 'max'],
    rows.map((r) => [
      r.label,
      String(r.clients),
      fmtMs(r.exitedAt - r.sigtermAt),
      fmtMs(r.readyAt - r.sigtermAt),
      r.allBackAt === null ? `not within ${fmtMs(BACK_WITHIN_MS)} of ready` : fmtMs(r.allBackAt - r.sigtermAt),
      `${r.back}/${r.clients}`,
      ...latencyCells(r.reconnect),
    ]),
    [
      "reconnect: hub — from the agent's hub:shutdown notice to its `resumed` (registered and re-subscribed);",
      '           baseline — from SIGTERM to connected, polled every 50 ms (there is no notice to start from).',
      `announced reconnectAfterMs: ${extras.announced.min}..${extras.announced.max} ms (seen by ${extras.announced.seen}/${hub.clients} agents)`,
      `new hub during the storm (ready -> all back, ${fmtMs(storm.windowMs)}): CPU ${fmtPct(storm.hubCpu)} of one core ` +
        `(agents' workers ${fmtPct(storm.fleetCpu)}, this process ${fmtPct(storm.benchCpu)}, rest of machine ${fmtPct(storm.othersCpu)}); ` +
        `RSS peak ${storm.rssPeakMb.toFixed(0)} MB (${storm.rssAtReadyMb.toFixed(0)} MB at ready)`,
      `critical events: ${extras.published} published (10 before, 10 during, 10 after), ${extras.publishFailures.length} publishes failed; ` +
        `per agent: ${extras.missed} missed (must be 0), ${extras.duplicates} handled twice`,
      ...extras.publishFailures.slice(0, 3).map((f) => `publish failure: ${f}`),
    ],
  );
}

async function main(): Promise<void> {
  const f = new Flags();
  const o: Options = {
    agents: Math.max(1, f.number('agents', f.has('quick') ? 250 : 1000)),
    store: f.string('store', 'pglite', ['pglite', 'postgres'] as const),
    baseline: !f.has('no-baseline'),
  };
  const { restart, extras } = await hubRestart(o);
  const base = o.baseline ? await bareRestart(o.agents) : null;
  print(restart, extras, base);
  // A restart that strands agents or loses events is a failed run, not just a slow one.
  if (restart.allBackAt === null || extras.missed > 0 || extras.publishFailures.length > 0) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
