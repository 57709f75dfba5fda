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

describe('AgentDirectory: an agent that connects again on another node', () => {
  const setup = async () => {
    const clock = new FakeClock();
    const dir = new AgentDirectory({ store: noStore, clock, node: 'n1', defaultRecovery: 'alert' });
    const seen: Array<[string, TransitionOrigin]> = [];
    const superseded: Array<{ agentId: string; node: string }> = [];
    dir.on('transition', (t: HealthTransition, origin) => void seen.push([`${t.from ?? '-'} -> ${t.to}`, origin]));
    dir.on('superseded', (s) => void superseded.push(s));
    dir.connected('a', 'c1');
    await dir.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    const since = dir.get('a')!.connectedSince!;
    seen.length = 0;
    return { clock, dir, seen, superseded, since };
  };

  it('yields to a later connection there: the old one here is closed without a transition of its own', async () => {
    const { dir, seen, superseded, since } = await setup();
    const later = new Date(Date.parse(since) + 1000).toISOString();
    dir.applyRemote(remoteAgent('a', 'n2', { connected: true, health: 'connecting', connectedSince: later }));
    expect(superseded).toEqual([{ agentId: 'a', node: 'n2' }]);
    expect(dir.isLocal('a')).toBe(false);
    expect(dir.get('a')).toMatchObject({ node: 'n2', health: 'connecting' });
    // Only the other node's report, never published here; closing the old socket changes nothing.
    expect(seen).toEqual([['healthy -> connecting', 'remote']]);
    expect(dir.disconnected('a', 'c1', 'server namespace disconnect')).toBe(false);
    expect(dir.probeTargets()).toEqual([]);
  });

  it('keeps its own connection when the other one is older, and breaks a tie by node id the same way on both nodes', async () => {
    const { dir, superseded, since } = await setup();
    const earlier = new Date(Date.parse(since) - 1000).toISOString();
    dir.applyRemote(remoteAgent('a', 'n2', { connected: true, connectedSince: earlier }));
    dir.applyRemote(remoteAgent('a', 'n0', { connected: true, connectedSince: since }));
    expect(superseded).toEqual([]);
    expect(dir.isLocal('a')).toBe(true);
    dir.applyRemote(remoteAgent('a', 'n2', { connected: true, connectedSince: since }));
    expect(superseded).toEqual([{ agentId: 'a', node: 'n2' }]);
  });
});

describe('AgentDirectory updates', () => {
  it('sends each step as its own record, also when a listener moves the agent on at once', async () => {
    const dir = new AgentDirectory({ store: noStore, clock: new FakeClock(), node: 'n1', defaultRecovery: 'restart' });
    dir.connected('a', 'c1');
    await dir.register('a', { name: 'a', capabilities: [], priority: 0, meta: {} });
    // What the health monitor does: a recovery starts inside the `disconnected` transition.
    dir.on('transition', (t) => {
      if (t.to === 'disconnected') dir.setHealth('a', 'recovering', 'restart');
    });
    const updates: string[] = [];
    dir.on('update', (a) => void updates.push(`${a.health}${a.connected ? '' : ' (gone)'}`));
    dir.disconnected('a', 'c1', 'transport close');
    // Other nodes build their history from these: `healthy -> recovering` would skip a step.
    expect(updates).toEqual(['disconnected (gone)', 'recovering (gone)']);
  });
});

describe('AgentDirectory.forEachLocal', () => {
  it('visits this node\u2019s agents, connected or not, and no other node\u2019s, as they are now', async () => {
    const dir = new AgentDirectory({ store: noStore, clock: new FakeClock(), node: 'n1', defaultRecovery: 'alert' });
    for (const id of ['a', 'b', 'c']) {
      dir.connected(id, `${id}-1`);
      await dir.register(id, { name: id, capabilities: [], priority: 0, meta: {} });
    }
    dir.disconnected('c', 'c-1', 'closed');
    dir.applyRemote(remoteAgent('elsewhere', 'n2'));
    const visit = () => {
      const seen: Array<[string, boolean, string]> = [];
      dir.forEachLocal((a) => void seen.push([a.id, a.connected, a.health]));
      return seen.sort();
    };
    expect(visit()).toEqual([
      ['a', true, 'healthy'],
      ['b', true, 'healthy'],
      ['c', false, 'disconnected'],
    ]);
    // The same agents and states as the snapshots the API lists.
    expect(visit()).toEqual(
      dir
        .listLocal()
        .map((a): [string, boolean, string] => [a.id, a.connected, a.health])
        .sort(),
    );
    dir.setHealth('b', 'suspect', 'probe failed');
    expect(visit()[1]).toEqual(['b', true, 'suspect']);
  });
});
