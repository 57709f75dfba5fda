import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { connectAgent } from '@agent-hub/sdk';
import { AGENTS_NAMESPACE, PROTOCOL_VERSION, type HealthTransition } from '@agent-hub/protocol';
import { HubProcess } from './support/hub-process.ts';
import { AgentProcess } from './support/agent-process.ts';
import { OperatorWatch } from './support/operator-watch.ts';
import { eventually, startTestHub } from './support/test-hub.ts';

let hub: HubProcess;
let ops: OperatorWatch;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  hub = await HubProcess.start({
    env: {
      LIVENESS_INTERVAL_MS: '400',
      LIVENESS_TIMEOUT_MS: '300',
      RECOVERY_TIMEOUT_MS: '8000',
      // Degradation is tested on its own hub below; keep it out of the way here.
      DEGRADE_FAILURES: '1000',
      RESTART_COMMAND: 'echo "$AGENT_ID" >> "$DATA_DIR/restarted"',
    },
  });
  ops = await OperatorWatch.connect(hub.url, hub.token);
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  ops.close();
  await hub.stop();
});

/** Transitions that do not start where the one before ended: each should follow the last. */
const outOfOrder = (list: HealthTransition[]) =>
  list.flatMap((t, i) =>
    i > 0 && t.from !== list[i - 1]!.to ? [`${list[i - 1]!.from} -> ${list[i - 1]!.to}, then ${t.from} -> ${t.to}`] : [],
  );

const spawnAgent = async (agentId: string, extra: Record<string, unknown> = {}) => {
  const a = await AgentProcess.start({ url: hub.url, agentId, token: hub.tokens.issue(agentId), ...extra });
  agents.push(a);
  await ops.waitFor(agentId, 'healthy');
  return a;
};

describe('failure detection', () => {
  it('sees a killed agent (SIGKILL) at once', async () => {
    const a = await spawnAgent('killed-1', { recovery: 'alert' });
    const killedAt = Date.now();
    a.signal('SIGKILL');
    const t = await ops.waitFor('killed-1', 'disconnected', 3000);
    expect(t.receivedAt - killedAt).toBeLessThan(1000);
  });

  it('marks a frozen agent (SIGSTOP) disconnected within 5 s', async () => {
    const a = await spawnAgent('frozen-1', { recovery: 'alert' });
    const stoppedAt = Date.now();
    a.signal('SIGSTOP');
    const t = await ops.waitFor('frozen-1', 'disconnected', 8000);
    const detectMs = t.receivedAt - stoppedAt;
    expect(detectMs).toBeLessThanOrEqual(5000);
    expect(t.reason).toMatch(/ping timeout/);
  });

  it('finds a zombie: socket alive, liveness callback stuck', async () => {
    await spawnAgent('zombie-1', { liveness: 'hang', recovery: 'alert' });
    await ops.waitFor('zombie-1', 'suspect', 5000);
    const z = await ops.waitFor('zombie-1', 'zombie', 5000);
    expect(z.reason).toMatch(/no liveness answer/);
    expect(ops.agents.get('zombie-1')?.connected).toBe(true);
  });
});

describe('recovery strategies', () => {
  it('restart: a zombie is asked to restart, restores its saved state and becomes healthy', async () => {
    const id = 'restart-1';
    const sdk = await connectAgent({ url: hub.url, agentId: 'helper-r1', token: hub.tokens.issue('helper-r1') });
    const s = await sdk.sessions.create({ members: [id] });
    await hub.api(`/api/sessions/${s.id}/agents/${id}/state`, { method: 'PUT', body: JSON.stringify({ state: { step: 7 } }) });
    const a = await spawnAgent(id, { liveness: 'hang', recovery: 'restart' });
    await ops.waitFor(id, 'zombie', 5000);
    await ops.waitFor(id, 'recovering', 3000);
    const restored = await a.waitFor((l) => l.type === 'restored');
    expect(restored.state).toEqual([{ sessionId: s.id, version: expect.any(Number), state: { step: 7 } }]);
    await ops.waitFor(id, 'healthy', 5000, Date.now() - 10_000);
    await eventually(() => (ops.agents.get(id)?.recoveries ?? 0) === 1, 5000, 'recovery counted');
    await sdk.close();
  });

  it('restart: a killed agent gets the restart hook; its successor replays the events it missed', async () => {
    const id = 'restart-2';
    const first = await spawnAgent(id, { subscribe: ['work:*'], policy: 'full', recovery: 'restart' });
    const pub = await connectAgent({ url: hub.url, agentId: 'pub-r2', token: hub.tokens.issue('pub-r2') });
    await pub.publish('work:a', 1);
    const seen = await first.waitFor((l) => l.type === 'event' && l.payload === 1);
    first.signal('SIGKILL');
    await ops.waitFor(id, 'recovering', 3000);
    // The recovery starts while the disconnect is being announced; the record keeps them in order.
    const { history } = (await (await hub.api(`/api/agents/${id}/health`)).json()) as { history: HealthTransition[] };
    expect(history.slice(-2).map((t) => `${t.from} -> ${t.to}`)).toEqual(['healthy -> disconnected', 'disconnected -> recovering']);
    expect(outOfOrder(history)).toEqual([]);
    expect(outOfOrder(ops.transitions.filter((t) => t.agentId === id))).toEqual([]);
    await eventually(
      async () => (await readFile(path.join(hub.dataDir, 'restarted'), 'utf8').catch(() => '')).includes(id),
      5000,
      'restart hook',
    );
    await pub.publish('work:a', 2);
    await pub.publish('work:a', 3);
    // The supervisor (here: the test) starts the agent again with the offset it had reached.
    const second = await spawnAgent(id, { subscribe: ['work:*'], policy: 'full', lastOffset: seen.offset });
    await second.waitFor((l) => l.type === 'event' && l.payload === 3);
    expect(second.events().map((e) => e.payload)).toEqual([2, 3]);
    await eventually(() => (ops.agents.get(id)?.recoveries ?? 0) >= 1, 5000, 'recovery counted');
    await pub.close();
  });

  it("replace: a failed agent's sessions and state go to a healthy agent with the same capabilities", async () => {
    const stand = await spawnAgent('standin-1', { capabilities: ['translate'] });
    const doomed = await spawnAgent('doomed-1', { capabilities: ['translate'], recovery: 'replace' });
    const created = (await (
      await hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ members: ['doomed-1'] }) })
    ).json()) as { id: string };
    await hub.api(`/api/sessions/${created.id}/agents/doomed-1/state`, {
      method: 'PUT',
      body: JSON.stringify({ state: { draft: 'hola' } }),
    });
    doomed.signal('SIGKILL');
    const assigned = await stand.waitFor((l) => l.type === 'assigned', 5000);
    expect(assigned).toMatchObject({ replaces: 'doomed-1', sessions: [created.id] });
    const session = (await (await hub.api(`/api/sessions/${created.id}`)).json()) as {
      members: string[];
      agentState: Record<string, unknown>;
    };
    expect(session.members).toContain('standin-1');
    expect(session.agentState['standin-1']).toEqual({ draft: 'hola' });
    await ops.waitFor('doomed-1', 'failed', 3000);
  });

  it('alert: only notifies (critical event on agent:<id>), no restart', async () => {
    const watcher = await connectAgent({ url: hub.url, agentId: 'alert-watch', token: hub.tokens.issue('alert-watch') });
    const got: unknown[] = [];
    await watcher.subscribe(['agent:alert-1'], (e) => void got.push(e.payload));
    const a = await spawnAgent('alert-1', { recovery: 'alert' });
    a.signal('SIGKILL');
    await eventually(() => got.some((p) => (p as { to: string }).to === 'disconnected'), 5000, 'health event on the bus');
    await new Promise((r) => setTimeout(r, 500));
    expect(ops.transitions.filter((t) => t.agentId === 'alert-1').map((t) => t.to)).not.toContain('recovering');
    await watcher.close();
  });
});

describe('scale', () => {
  it('tracks 50 agents at once and sees each of them go', async () => {
    const clients = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        connectAgent({ url: hub.url, agentId: `many-${i}`, token: hub.tokens.issue(`many-${i}`), recovery: 'alert' }),
      ),
    );
    await eventually(() => clients.every((_, i) => ops.agents.get(`many-${i}`)?.health === 'healthy'), 10_000, '50 healthy');
    const agentsRes = (await (await hub.api('/api/agents')).json()) as { items: Array<{ id: string; connected: boolean }> };
    expect(agentsRes.items.filter((a) => a.id.startsWith('many-') && a.connected)).toHaveLength(50);
    await Promise.all(clients.map((c) => c.close()));
    await eventually(() => clients.every((_, i) => ops.agents.get(`many-${i}`)?.health === 'disconnected'), 10_000, '50 gone');
  });
});

describe('liveness probes', () => {
  it("does not hold a probe stuck on a dropped connection against the agent's new one", async () => {
    // A long probe timeout, so the probe sent to the first connection is still out when the agent is back.
    const t = await startTestHub({ LIVENESS_INTERVAL_MS: '200', LIVENESS_TIMEOUT_MS: '4000', DEGRADE_FAILURES: '1000' });
    try {
      const id = 'probe-reconnect';
      const token = t.agentToken(id);
      // First connection: registers, then stops answering probes (a frozen agent, seen from the hub).
      const frozen = io(t.url + AGENTS_NAMESPACE, {
        auth: { agentId: id, token, protocol: PROTOCOL_VERSION },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      let probedAt = 0;
      frozen.on('liveness:probe', () => void (probedAt ||= Date.now()));
      await new Promise<void>((resolve, reject) => {
        frozen.once('connect', () => resolve());
        frozen.once('connect_error', reject);
      });
      expect((await frozen.timeout(5000).emitWithAck('agent:register', { name: id })).ok).toBe(true);
      await eventually(() => probedAt > 0, 5000, 'a probe on the first connection');
      frozen.disconnect();

      // The agent is back on a new connection that answers every probe.
      const answered: number[] = [];
      await t.agent(id, { liveness: async () => (answered.push(Date.now()), { ok: true }) });
      const backAt = Date.now();
      expect(backAt - probedAt).toBeLessThan(4000);
      // Until the hub has probed the new connection well after the old probe timed out.
      await eventually(() => answered.some((at) => at > probedAt + 4000 + 500), 10_000, 'probes answered after the old one timed out');

      const { agent, history } = (await (await t.api(`/api/agents/${id}/health`)).json()) as {
        agent: { health: string };
        history: HealthTransition[];
      };
      const sinceBack = history.slice(history.findLastIndex((x) => x.to === 'connecting'));
      expect(sinceBack.map((x) => x.to)).toEqual(['connecting', 'healthy']);
      expect(agent.health).toBe('healthy');
    } finally {
      await t.close();
    }
  });
});

describe('the probe budget (LIVENESS_MAX_PROBES_PER_S)', () => {
  it('probes a fleet past it less often, and every interval again once the fleet shrinks', async () => {
    // 8 agents at 4 probes a second cannot be probed every 300 ms: a round every 2 s instead.
    const t = await startTestHub({ LIVENESS_INTERVAL_MS: '300', LIVENESS_MAX_PROBES_PER_S: '4', DEGRADE_FAILURES: '1000' });
    const roundSeconds = async () => {
      const line = (await (await t.api('/metrics')).text()).split('\n').find((l) => l.startsWith('agenthub_liveness_round_seconds '));
      return Number(line?.split(' ')[1]);
    };
    try {
      expect(await roundSeconds()).toBe(0.3);
      const probed = new Map<string, number[]>();
      const clients = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.agent(`budget-${i}`, {
            liveness: async () => (probed.get(`budget-${i}`)?.push(Date.now()) ?? probed.set(`budget-${i}`, [Date.now()]), { ok: true }),
          }),
        ),
      );
      await eventually(async () => (await roundSeconds()) === 2, 5000, 'the round stretched to 2 s');
      const first = clients[0]!;
      const gaps = (id: string) => (probed.get(id) ?? []).slice(1).map((at, k) => at - probed.get(id)![k]!);
      const seen = probed.get('budget-0')?.length ?? 0;
      await eventually(() => (probed.get('budget-0')?.length ?? 0) >= seen + 3, 10_000, 'three more probes of budget-0');
      // Every gap after the stretch is a full round (the first one may be from before it).
      expect(
        gaps('budget-0')
          .slice(-2)
          .every((g) => g >= 1800),
      ).toBe(true);
      expect(first.connected).toBe(true);

      // One agent left: 4 a second cover it every 300 ms.
      await Promise.all(clients.slice(1).map((c) => c.close()));
      await eventually(async () => (await roundSeconds()) === 0.3, 5000, 'the round back to the interval');
      const before = probed.get('budget-0')!.length;
      await eventually(() => probed.get('budget-0')!.length >= before + 3, 5000, 'probes every interval again');
      expect(
        gaps('budget-0')
          .slice(-2)
          .every((g) => g < 1000),
      ).toBe(true);
      expect(first.connected).toBe(true);
    } finally {
      await t.close();
    }
  });
});
