import { describe, expect, it } from 'vitest';
import type { HealthTransition, LivenessReport } from '@agent-hub/protocol';
import { AgentDirectory } from '../agents/agent-directory.ts';
import type { AgentRecord, AgentStore } from '../ports/store.ts';
import { silentLogger } from '../ports/logger.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { DegradationController } from './degradation.ts';
import { HealthMonitor } from './health-monitor.ts';

class AgentRecords implements AgentStore {
  private readonly rows = new Map<string, AgentRecord>();
  async upsertAgent(rec: AgentRecord): Promise<void> {
    this.rows.set(rec.id, rec);
  }
  async upsertAgents(recs: AgentRecord[]): Promise<void> {
    for (const rec of recs) this.rows.set(rec.id, rec);
  }
  async getAgent(id: string): Promise<AgentRecord | null> {
    return this.rows.get(id) ?? null;
  }
  async listAgents(): Promise<AgentRecord[]> {
    return [...this.rows.values()];
  }
}

async function setup(hubOverloaded: () => boolean) {
  const clock = new FakeClock();
  const agents = new AgentDirectory({ store: new AgentRecords(), clock, node: 'n1', defaultRecovery: 'alert' });
  const degradation = new DegradationController(clock, {
    failures: 1,
    windowMs: 30_000,
    checkIntervalMs: 60_000,
    recoverAfterMs: 120_000,
    recoverMaxFailures: 2,
    normalSessionLimit: 100,
    degradedSessionLimit: 50,
  });
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
