/**
 * Failure-injection trials for bench/health.ts, each against real agent processes (the hub's test
 * fixture, apps/hub/test/fixtures/agent-main.ts) watched from the operator socket.
 */
import { AgentProcess } from '../apps/hub/test/support/agent-process.ts';
import type { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { OperatorWatch } from '../apps/hub/test/support/operator-watch.ts';
import { guardChild, sleep } from './child-guard.ts';

export interface FreezeTrials {
  detectMs: number[];
  reasons: Record<string, number>;
}

export interface ZombieTrials {
  detectMs: number[];
  recoverMs: number[];
  injected: number;
  recovered: number;
  failed: number;
}

async function spawnAgents(hub: HubProcess, ids: string[], extra: Record<string, unknown>): Promise<AgentProcess[]> {
  return Promise.all(
    ids.map(async (agentId) => {
      const a = await AgentProcess.start({ url: hub.url, agentId, token: hub.tokens.issue(agentId), ...extra });
      guardChild(a.child);
      return a;
    }),
  );
}

/**
 * SIGSTOP (a frozen process: TCP still up, nothing answers) until the operator socket sees
 * `disconnected`. Agents are frozen at random moments within one heartbeat interval so the phase
 * of the hub's ping cycle is sampled, then continued, reconnected, and frozen again next round.
 */
export async function freezeTrials(hub: HubProcess, agents: number, rounds: number, heartbeatMs: number): Promise<FreezeTrials> {
  const ops = await OperatorWatch.connect(hub.url, hub.token);
  const ids = Array.from({ length: agents }, (_, i) => `frozen-${i}`);
  const procs = await spawnAgents(hub, ids, { recovery: 'alert' });
  const out: FreezeTrials = { detectMs: [], reasons: {} };
  try {
    await Promise.all(ids.map((id) => ops.waitFor(id, 'healthy', 10_000)));
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        procs.map(async (p, i) => {
          await sleep(Math.random() * heartbeatMs);
          const stoppedAt = Date.now();
          p.signal('SIGSTOP');
          const t = await ops.waitFor(ids[i]!, 'disconnected', 15_000, stoppedAt);
          out.detectMs.push(t.receivedAt - stoppedAt);
          out.reasons[t.reason] = (out.reasons[t.reason] ?? 0) + 1;
          const contAt = Date.now();
          p.signal('SIGCONT');
          await ops.waitFor(ids[i]!, 'healthy', 15_000, contAt);
        }),
      );
    }
    return out;
  } finally {
    ops.close();
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/**
 * Zombies: the fixture with `liveness: 'hang'` keeps its socket (heartbeats answered) but never
 * answers a liveness probe until the hub asks it to restart; then it answers again. Detection is
 * timed from its registration (`healthy`) to `zombie`; recovery from `zombie` to `healthy` again.
 */
export async function zombieTrials(hub: HubProcess, trials: number, batch: number, recoveryTimeoutMs: number): Promise<ZombieTrials> {
  const ops = await OperatorWatch.connect(hub.url, hub.token);
  const out: ZombieTrials = { detectMs: [], recoverMs: [], injected: 0, recovered: 0, failed: 0 };
  try {
    for (let done = 0; done < trials; done += batch) {
      const ids = Array.from({ length: Math.min(batch, trials - done) }, (_, i) => `zombie-${done + i}`);
      const procs = await spawnAgents(hub, ids, { liveness: 'hang', recovery: 'restart' });
      try {
        await Promise.all(ids.map((id) => oneZombie(ops, id, recoveryTimeoutMs, out)));
      } finally {
        await Promise.all(procs.map((p) => p.stop()));
      }
    }
    return out;
  } finally {
    ops.close();
  }
}

async function oneZombie(ops: OperatorWatch, id: string, recoveryTimeoutMs: number, out: ZombieTrials): Promise<void> {
  const healthy = await ops.waitFor(id, 'healthy', 15_000);
  const zombie = await ops.waitFor(id, 'zombie', 15_000);
  out.injected++;
  out.detectMs.push(zombie.receivedAt - healthy.receivedAt);
  const deadline = Date.now() + recoveryTimeoutMs + 2000;
  for (;;) {
    const after = ops.transitions.filter((t) => t.agentId === id && t.receivedAt >= zombie.receivedAt);
    const back = after.find((t) => t.to === 'healthy');
    if (back) {
      out.recovered++;
      out.recoverMs.push(back.receivedAt - zombie.receivedAt);
      return;
    }
    if (after.some((t) => t.to === 'failed') || Date.now() > deadline) {
      out.failed++;
      return;
    }
    await sleep(20);
  }
}
