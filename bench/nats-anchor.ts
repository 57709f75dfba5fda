/**
 * NATS JetStream as a second anchor for bench/events.ts: the same paced load (bench/nats-load-worker.ts
 * in two worker processes) against a JetStream stream with file storage, in the same process tree.
 *
 * Two rows:
 * - default: the machine's nats-server at 127.0.0.1:4222, JetStream's default sync (the file store
 *   is fsynced in the background on an interval — 2 min by default — not per message);
 * - sync always: a throw-away nats-server child on a free port, own temp store dir, and a config
 *   with `jetstream { sync_interval: always }` (fsync before each PubAck). Stream config cannot set
 *   this; only the server option can, and only nats-server 2.10 and later know it.
 * Each run gets its own stream (unique name, file storage), deleted afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statfsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { freePort } from '../apps/hub/test/support/hub-process.ts';
import { guardChild, sleep } from './child-guard.ts';
import { CpuMeter, waitForQuiet } from './cpu-meter.ts';
import type { PublishReport, RunArgs, SubscribeReport } from './event-load-worker.ts';
import { waitDelivered } from './paced-load.ts';
import type { NatsConnectArgs } from './nats-load-worker.ts';
import { summarize, type Summary } from './stats.ts';
import { WorkerProcess } from './worker-rpc.ts';

const NATS_WORKER = fileURLToPath(new URL('./nats-load-worker.ts', import.meta.url));
const QUIET_WAIT_MS = 15_000;
export const NATS_HOST = '127.0.0.1';
export const NATS_PORT = 4222;
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;
export const NATS_SERVER_BIN = '/usr/sbin/nats-server';
const START_HINT =
  `start-stop-daemon --start --oknodo --background --exec ${NATS_SERVER_BIN} -- -a ${NATS_HOST} -p ${NATS_PORT} ` +
  '-js -sd /var/lib/nats-server -l /var/log/nats-server.log';
/** statfs f_type of tmpfs: a store dir there would make "sync always" fsync nothing. */
const TMPFS_MAGIC = 0x01021994;

export interface NatsLoadOptions {
  publishers: number;
  subscribers: number;
  rate: number;
  warmupMs: number;
  measureMs: number;
}

/** Same fields as events.ts's LoadOutcome, so its row and note code prints these too. */
export interface NatsOutcome {
  label: string;
  pub: PublishReport;
  sub: SubscribeReport;
  propagation: Summary;
  ack: Summary;
  cpu: Record<string, number>;
}

export interface NatsResult {
  rows: NatsOutcome[];
  /** Legend lines: each row's durability, and why a row is missing. */
  notes: string[];
}

export interface Probe {
  ok: boolean;
  /** Why not, in one line. */
  reason?: string;
  version?: string;
}

/** Connects once (1 s), checks JetStream is on for the account, closes. */
export async function probeNats(url = NATS_URL): Promise<Probe> {
  let nc: NatsConnection | null = null;
  try {
    nc = await connect({ servers: url, timeout: 1000, reconnect: false });
    const version = nc.info?.version;
    try {
      await (await jetstreamManager(nc, { timeout: 2000 })).getAccountInfo();
    } catch (err) {
      return {
        ok: false,
        version,
        reason: `nats-server ${version ?? ''} at ${url} answers, but JetStream is not available (${errText(err)})`,
      };
    }
    return { ok: true, version };
  } catch (err) {
    return { ok: false, reason: `nothing answers at ${url} (${errText(err)})` };
  } finally {
    await nc?.close().catch(() => {});
  }
}

/** The one-line skip message for the default (auto) mode. */
export function skipLine(p: Probe): string {
  return `NATS rows skipped: ${p.reason}. Start it with \`${START_HINT}\`; --no-nats silences this.`;
}

/** Runs the default row against 127.0.0.1:4222, then the sync-always row on a throw-away server. */
export async function runNats(o: NatsLoadOptions, serverBin = NATS_SERVER_BIN): Promise<NatsResult> {
  const out: NatsResult = { rows: [], notes: [] };
  const pid = pidListeningOn(NATS_PORT);
  out.rows.push(await runNatsLoad('NATS JetStream (default sync)', NATS_URL, pid, o));
  out.notes.push(
    'durability, NATS JetStream (default sync): PubAck once the stream (file storage, 1 replica) has the message in its file store; ' +
      'the server fsyncs in the background (every 2 min by default), so an OS crash or power loss can lose acked messages.',
  );
  if (pid === null)
    out.notes.push(`NATS JetStream (default sync): no process found listening on port ${NATS_PORT}; its server CPU is not shown.`);

  const server = await startSyncAlwaysServer(serverBin);
  if ('skip' in server) {
    out.notes.push(`NATS JetStream (sync always) skipped: ${server.skip}`);
    return out;
  }
  try {
    out.rows.push(await runNatsLoad('NATS JetStream (sync always)', server.url, server.pid, o));
    out.notes.push(
      `durability, NATS JetStream (sync always): a throw-away nats-server ${server.version} with \`jetstream { sync_interval: always }\`, ` +
        `fsyncing each write before the PubAck (store dir under ${tmpdir()}).`,
    );
    if (server.onTmpfs)
      out.notes.push(
        `NATS JetStream (sync always): the store dir ${server.dir} is on tmpfs, where fsync does nothing: this row is not durable.`,
      );
  } finally {
    await server.stop();
  }
  return out;
}

/** Creates the run's stream, connects both workers, runs the paced load, waits for delivery, deletes the stream. */
async function runNatsLoad(label: string, url: string, serverPid: number | null, o: NatsLoadOptions): Promise<NatsOutcome> {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const stream = `BENCH_EVENTS_${id}`;
  const subjectPrefix = `bench.${id}.`;
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: stream,
    subjects: [`${subjectPrefix}>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: 1,
  });
  try {
    // A shared machine: give someone else's burst a moment to pass rather than measure it.
    await waitForQuiet(QUIET_WAIT_MS);
    const subW = WorkerProcess.start(NATS_WORKER);
    const pubW = WorkerProcess.start(NATS_WORKER);
    try {
      await subW.call('connect', { url, count: o.subscribers, stream, consumerPrefix: 'sub-' } satisfies NatsConnectArgs);
      await pubW.call('connect', { url, count: o.publishers } satisfies NatsConnectArgs);
      const meter = new CpuMeter({ ...(serverPid !== null ? { server: serverPid } : {}), publishers: pubW.pid, subscribers: subW.pid });
      let cpu: Record<string, number> = {};
      // CPU is sampled over the measured window only, not the warm-up or the drain.
      const cpuTimers = [setTimeout(() => meter.start(), o.warmupMs), setTimeout(() => (cpu = meter.stop()), o.warmupMs + o.measureMs)];
      const args: RunArgs = { rate: o.rate, warmupMs: o.warmupMs, measureMs: o.measureMs, topicPrefix: subjectPrefix, room: '' };
      const pub = await pubW.call<PublishReport>('run', args, o.warmupMs + o.measureMs + 60_000);
      cpuTimers.forEach(clearTimeout);
      if (!Object.keys(cpu).length) cpu = meter.stop();
      await waitDelivered(subW, pub.measuredSent * o.subscribers);
      const sub = await subW.call<SubscribeReport>('report');
      return { label, pub, sub, propagation: summarize(sub.latencies), ack: summarize(pub.acks), cpu };
    } finally {
      await Promise.all([pubW.stop(), subW.stop()]);
    }
  } finally {
    await jsm.streams.delete(stream).catch((err) => console.error(`could not delete stream ${stream} at ${url}: ${errText(err)}`));
    await nc.close();
  }
}

interface SyncAlwaysServer {
  url: string;
  pid: number;
  version: string;
  dir: string;
  onTmpfs: boolean;
  stop(): Promise<void>;
}

/**
 * A nats-server child on a free loopback port with its own temp store dir and `sync_interval: always`.
 * The config is checked first (`-t`): a server older than 2.10 rejects the option, and the row is
 * skipped with its message rather than run without the setting.
 */
async function startSyncAlwaysServer(bin: string): Promise<SyncAlwaysServer | { skip: string }> {
  const version = firstLine(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '').replace(/^nats-server:\s*/, '');
  const dir = await mkdtemp(join(tmpdir(), 'bench-nats-sync-'));
  const port = await freePort();
  const conf = join(dir, 'server.conf');
  await writeFile(
    conf,
    [`listen: ${NATS_HOST}:${port}`, 'jetstream {', `  store_dir: "${join(dir, 'store')}"`, '  sync_interval: always', '}', ''].join('\n'),
  );
  const check = spawnSync(bin, ['-c', conf, '-t'], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    if (check.error)
      return { skip: `cannot run ${bin} (${errText(check.error)}); point --nats-server-bin=PATH at a nats-server 2.10 or later.` };
    const why = firstLine(check.stderr || check.stdout)
      .replace(/^nats-server:\s*/, '')
      .replace(/^\S+\.conf:\d+:\d+:\s*/, '');
    return {
      skip:
        `${bin} ${version} does not take \`jetstream { sync_interval: always }\` (${why}); the option needs nats-server 2.10 or later. ` +
        'Point --nats-server-bin=PATH at one to get this row.',
    };
  }
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  guardChild(child);
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `nats://${NATS_HOST}:${port}`;
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`the sync-always nats-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${stderr}`);
    }
    const p = await probeNats(url);
    if (p.ok) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`the sync-always nats-server was not ready within 10 s (${p.reason}):\n${stderr}`);
    }
    await sleep(100);
  }
  let onTmpfs = false;
  try {
    onTmpfs = statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    // unknown: say nothing
  }
  return { url, pid: child.pid!, version, dir, onTmpfs, stop };
}

/**
 * The pid of the process listening on a TCP port, from /proc/net/tcp{,6} and /proc/<pid>/fd (the
 * machine's nats-server is not our child); null when it cannot be told (no /proc, no permission).
 */
export function pidListeningOn(port: number): number | null {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address, st (0A = LISTEN), inode
      if (cols.length > 9 && cols[1]!.endsWith(hexPort) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  if (!inodes.size) return null;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return null;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
