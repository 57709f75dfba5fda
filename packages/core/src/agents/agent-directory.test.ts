import { describe, expect, it } from 'vitest';
import type { AgentInfo, HealthTransition } from '@agent-hub/protocol';
import type { AgentRecord, AgentStore } from '../ports/store.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { AgentDirectory, type TransitionOrigin } from './agent-directory.ts';
import { agentInfo } from '../testing/agent-info.ts';

const noStore: AgentStore = {
  upsertAgent: async () => undefined,
  upsertAgents: async () => undefined,
  getAgent: async (): Promise<AgentRecord | null> => null,
  listAgents: async () => [],
};

const remoteAgent = (id: string, node: string, o: Partial<AgentInfo> = {}): AgentInfo => agentInfo(id, { node, ...o });

describe('AgentDirectory transition origins', () => {
  it('marks its own agents\u2019 transitions and a reaped agent\u2019s as local, other nodes\u2019 reports as remote', async () => {
    const dir = new AgentDirectory({ store: noStore, clock: new FakeClock(), node: 'n1', defaultRecovery: 'alert' });
    const seen: Array<[string, string, TransitionOrigin]> = [];
    dir.on('transition', (t: HealthTransition, origin) => void seen.push([t.agentId, `${t.from ?? '-'} -> ${t.to}`, origin]));

    dir.connected('mine', 'c1');
    await dir.register('mine', { name: 'mine', capabilities: [], priority: 0, meta: {} });
    dir.applyRemote(remoteAgent('theirs', 'n2'));
    dir.reaped(remoteAgent('theirs', 'n2', { connected: false, health: 'disconnected' }), 'hub node n2 died');

    expect(seen).toEqual([
      ['mine', '- -> connecting', 'local'],
      ['mine', 'connecting -> healthy', 'local'],
      ['theirs', '- -> healthy', 'remote'],
      ['theirs', 'healthy -> disconnected', 'local'],
    ]);
    expect(dir.get('theirs')).toMatchObject({ connected: false, health: 'disconnected' });
  });
});
