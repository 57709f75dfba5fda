import { describe, expect, it } from 'vitest';
import type { HealthTransition, LivenessReport } from '@agent-hub/protocol';
import { AgentDirectory } from '../agents/agent-directory.ts';
import { MemoryStore } from '../memory-store/memory-store.ts';
import { silentLogger } from '../ports/logger.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { DegradationController } from './degradation.ts';
import { HealthMonitor } from './health-monitor.ts';

/** Degradation settings for these tests; each sets how many failures trip it. */
const DEGRADATION = {
  windowMs: 30_000,
  checkIntervalMs: 60_000,
  recoverAfterMs: 120_000,
  recoverMaxFailures: 2,
  normalSessionLimit: 100,
  degradedSessionLimit: 50,
};

async function setup(hubOverloaded: () => boolean) {
  const clock = new FakeClock();
  const agents = new AgentDirectory({ store: new MemoryStore().agents, clock, node: 'n1', defaultRecovery: 'alert' });
  const degradation = new DegradationController(clock, { ...DEGRADATION, failures: 1 });
  const monitor = new HealthMonitor(
    agents,
    { probe: async () => ({ ok: true }), restart: () => undefined },
    degradation,
    clock,
    { livenessIntervalMs: 1000, livenessTimeoutMs: 500, zombieAfter: 2, recoveryTimeoutMs: 10_000, hubOverloaded },
    silentLogger,
  );
  for (const id of ['a', 'b', 'c']) {
    agents.connected(id, `${id}-conn`);
    await agents.register(id, { name: id, capabilities: [], priority: 0, meta: {} });
  }
  const dropAll = () => ['a', 'b', 'c'].forEach((id) => agents.disconnected(id, `${id}-conn`, 'ping timeout'));
  return { degradation, monitor, dropAll };
}

describe('HealthMonitor and the hub\u2019s own overload', () => {
  it('counts agents dropped for a missed heartbeat toward degraded mode', async () => {
    const { degradation, monitor, dropAll } = await setup(() => false);
    dropAll();
    expect(degradation.current().degraded).toBe(true);
    monitor.close();
  });

  it('does not count them when the hub itself was overloaded at the time', async () => {
    const { degradation, monitor, dropAll } = await setup(() => true);
    dropAll();
    expect(degradation.current().degraded).toBe(false);
    monitor.close();
  });
});

/** A probe the test answers by hand, remembering which connection each one went out on. */
class ManualProbes {
  readonly sent: Array<{ agentId: string; connectionId: string; settle: (r: LivenessReport | Error) => void }> = [];
  probe = (agentId: string, connectionId: string): Promise<LivenessReport> =>
    new Promise((resolve, reject) => {
      this.sent.push({ agentId, connectionId, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
}

async function watched(recovery: 'alert' | 'restart') {
  const clock = new FakeClock();
  const agents = new AgentDirectory({ store: new MemoryStore().agents, clock, node: 'n1', defaultRecovery: recovery });
  const degradation = new DegradationController(clock, { ...DEGRADATION, failures: 100 });
  const probes = new ManualProbes();
  const restarts: string[] = [];
  const monitor = new HealthMonitor(
    agents,
    { probe: probes.probe, restart: (id) => void restarts.push(id) },
    degradation,
    clock,
    { livenessIntervalMs: 1000, livenessTimeoutMs: 500, zombieAfter: 2, recoveryTimeoutMs: 10_000 },
    silentLogger,
  );
  // Registered after the monitor, like the hub's history, dashboard feed and bus publisher.
  const seen: HealthTransition[] = [];
  agents.on('transition', (t) => void seen.push(t));
  const flush = () => new Promise((r) => setImmediate(r));
  return { agents, monitor, probes, restarts, seen, flush };
}

describe('liveness probes belong to the connection they were sent on', () => {
  it('ignores a probe of a frozen connection that times out after the agent reconnected', async () => {
    const { agents, monitor, probes, seen, flush } = await watched('alert');
    agents.connected('a', 'conn-1');
    await agents.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    const probing = monitor.probeAll();
    expect(probes.sent.map((p) => p.connectionId)).toEqual(['conn-1']);

    // The frozen connection is dropped and the agent comes back on a new one, healthy.
    agents.disconnected('a', 'conn-1', 'ping timeout');
    agents.connected('a', 'conn-2');
    await agents.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    const before = seen.length;
    probes.sent[0]!.settle(new Error('operation has timed out'));
    await probing;
    await flush();
    expect(seen.slice(before)).toEqual([]);
    expect(agents.get('a')?.health).toBe('healthy');
    monitor.close();
  });

  it('counts failed probes per connection: a new connection starts with a clean record', async () => {
    const { agents, monitor, probes, flush } = await watched('alert');
    agents.connected('a', 'conn-1');
    await agents.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    const first = monitor.probeAll();
    probes.sent[0]!.settle(new Error('timeout'));
    await first;
    expect(agents.get('a')?.health).toBe('suspect');

    // Replaced by a newer connection without a disconnect of the old one being reported.
    agents.connected('a', 'conn-2');
    await agents.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    const second = monitor.probeAll();
    expect(probes.sent[1]!.connectionId).toBe('conn-2');
    probes.sent[1]!.settle(new Error('timeout'));
    await second;
    await flush();
    // One failure on conn-2 is a suspect, not (with conn-1's) the second in a row that makes a zombie.
    expect(agents.get('a')?.health).toBe('suspect');
    monitor.close();
  });
});

describe('health transitions', () => {
  it("reach every listener in the order they happened, even when one is raised inside another's handler", async () => {
    const { agents, monitor, restarts, seen } = await watched('restart');
    agents.connected('a', 'conn-1');
    await agents.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    // The monitor starts the recovery while the disconnect is being announced.
    agents.disconnected('a', 'conn-1', 'transport close');
    expect(restarts).toEqual(['a']);
    expect(seen.map((t) => `${t.from ?? '-'} -> ${t.to}`)).toEqual([
      '- -> connecting',
      'connecting -> healthy',
      'healthy -> disconnected',
      'disconnected -> recovering',
    ]);
    monitor.close();
  });
});

/** Connects and registers agents a0 … a<n-1>, each on connection c<i>. */
async function connectFleet(agents: AgentDirectory, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    agents.connected(`a${i}`, `c${i}`);
    await agents.register(`a${i}`, { name: `a${i}`, capabilities: [], priority: 0, meta: {} });
  }
}

/**
 * A started monitor with interval 5 s and a budget of 100 probes a second over a fleet of `n`
 * agents, answering every probe ok.
 */
async function budgeted(n: number) {
  const logged: string[] = [];
  const log = { ...silentLogger, info: (_: object, msg?: string) => void logged.push(msg ?? '') };
  const clock = new FakeClock();
  const agents = new AgentDirectory({ store: new MemoryStore().agents, clock, node: 'n1', defaultRecovery: 'alert' });
  const degradation = new DegradationController(clock, { ...DEGRADATION, failures: 100 });
  const sent: number[] = [];
  const t0 = clock.now();
  const monitor = new HealthMonitor(
    agents,
    {
      probe: async () => {
        sent.push(clock.now() - t0);
        return { ok: true };
      },
      restart: () => undefined,
    },
    degradation,
    clock,
    {
      livenessIntervalMs: 5000,
      livenessTimeoutMs: 1000,
      zombieAfter: 2,
      recoveryTimeoutMs: 10_000,
      probeSpreadMs: 2500,
      maxProbesPerSecond: 100,
    },
    log,
  );
  const rounds: Array<{ agents: number; ms: number }> = [];
  monitor.on('round', (r) => rounds.push(r));
  /** Probes sent in [from, to) ms after the monitor was made. */
  const between = (from: number, to: number) => sent.filter((t) => t >= from && t < to).length;
  /** What the monitor logged about its rounds. */
  const roundLogs = () => logged.filter((m) => m.startsWith('liveness rounds'));
  await connectFleet(agents, n);
  monitor.start();
  return { clock, agents, monitor, rounds, between, roundLogs };
}

describe('the probe budget (maxProbesPerSecond)', () => {
  it('leaves a fleet within it probed every interval', async () => {
    const { clock, monitor, rounds, between } = await budgeted(400);
    clock.advance(20_000);
    // 400 agents at 100 probes/s fit a 5-s interval: rounds at 5, 10, 15 and 20 s (2 slices of 200 each).
    expect([between(5000, 10_000), between(10_000, 15_000), between(15_000, 20_000), between(20_000, 20_001)]).toEqual([
      400, 400, 400, 200,
    ]);
    expect(rounds).toEqual([]);
    monitor.close();
  });

  it('stretches the rounds of a larger fleet to agents / budget, spread over half of each', async () => {
    const { clock, monitor, rounds, between } = await budgeted(1000);
    clock.advance(5000);
    // 1,000 agents at 100/s: a round every 10 s, its 4 slices over the first 5 s of it.
    expect(rounds).toEqual([{ agents: 1000, ms: 10_000 }]);
    expect(between(5000, 5001)).toBe(250);
    clock.advance(10_000);
    expect(between(5000, 15_000)).toBe(1000);
    expect(between(10_000, 15_000)).toBe(0);
    expect(between(15_000, 15_001)).toBe(250);
    monitor.close();
  });

  it('keeps slices of 250 however large the stretched round, and logs the stretch once', async () => {
    const { clock, agents, monitor, rounds, between, roundLogs } = await budgeted(5000);
    clock.advance(5000);
    // 5,000 agents at 100/s: a 50-s round, 20 slices of 250 over its first 25 s (not 10 of 500).
    expect(rounds).toEqual([{ agents: 5000, ms: 50_000 }]);
    clock.advance(25_000);
    const perSlice = Array.from({ length: 20 }, (_, k) => 5000 + k * 1250).map((t) => between(t, t + 1));
    expect(perSlice).toEqual(Array.from({ length: 20 }, () => 250));
    expect(between(5000, 55_000)).toBe(5000);
    // The fleet grows a little: the round follows it, the log does not say so again.
    await connectFleet(agents, 100, 5000);
    clock.advance(25_000);
    expect(rounds.at(-1)).toEqual({ agents: 5100, ms: 51_000 });
    expect(roundLogs()).toEqual(['liveness rounds stretched: more agents than the probe budget covers each interval']);
    monitor.close();
  });

  it('goes back to the interval once the fleet shrinks', async () => {
    const { clock, agents, monitor, rounds, between, roundLogs } = await budgeted(1000);
    clock.advance(5000);
    for (let i = 0; i < 800; i++) agents.disconnected(`a${i}`, `c${i}`, 'client namespace disconnect');
    clock.advance(10_000);
    expect(rounds).toEqual([
      { agents: 1000, ms: 10_000 },
      { agents: 200, ms: 5000 },
    ]);
    expect(between(15_000, 15_001)).toBe(200);
    clock.advance(5000);
    expect(between(20_000, 20_001)).toBe(200);
    expect(roundLogs()).toEqual([
      'liveness rounds stretched: more agents than the probe budget covers each interval',
      'liveness rounds back to the interval',
    ]);
    monitor.close();
  });
});

describe('a large fleet\u2019s liveness round', () => {
  it('is spread over probeSpreadMs in slices, every agent probed once on its own connection', async () => {
    const clock = new FakeClock();
    const agents = new AgentDirectory({ store: new MemoryStore().agents, clock, node: 'n1', defaultRecovery: 'alert' });
    const degradation = new DegradationController(clock, { ...DEGRADATION, failures: 100 });
    const probes = new ManualProbes();
    const monitor = new HealthMonitor(
      agents,
      { probe: probes.probe, restart: () => undefined },
      degradation,
      clock,
      { livenessIntervalMs: 5000, livenessTimeoutMs: 1000, zombieAfter: 2, recoveryTimeoutMs: 10_000, probeSpreadMs: 2500 },
      silentLogger,
    );
    const n = 1000;
    await connectFleet(agents, n);
    const round = monitor.probeAll();
    // 1,000 agents make 4 slices of 250: the first goes at once, the others 625 ms apart.
    expect(probes.sent).toHaveLength(250);
    clock.advance(624);
    expect(probes.sent).toHaveLength(250);
    clock.advance(1);
    expect(probes.sent).toHaveLength(500);
    clock.advance(1250);
    expect(probes.sent).toHaveLength(n);
    expect(new Set(probes.sent.map((p) => p.agentId)).size).toBe(n);
    expect(probes.sent.every((p) => p.connectionId === `c${p.agentId.slice(1)}`)).toBe(true);
    for (const p of probes.sent) p.settle({ ok: true });
    await round;
    expect(agents.get('a999')?.lastLivenessAt).toBe(new Date(clock.now()).toISOString());
    monitor.close();
  });

  it('goes out at once for a small fleet', async () => {
    const { agents, monitor, probes } = await watched('alert');
    for (const id of ['a', 'b']) {
      agents.connected(id, `${id}-conn`);
      await agents.register(id, { name: id, capabilities: [], priority: 0, meta: {} });
    }
    void monitor.probeAll();
    expect(probes.sent.map((p) => p.agentId)).toEqual(['a', 'b']);
    monitor.close();
  });
});
