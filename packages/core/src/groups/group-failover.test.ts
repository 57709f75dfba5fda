import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.ts';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';
import { MemoryStore } from '../memory-store/memory-store.ts';

const trio = () => [agentInfo('ann'), agentInfo('bob'), agentInfo('cy')];
const open: GroupHarness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** Two engines on one store and one clock: two hub nodes serving the same group's members. */
function twoNodes() {
  const shared = { store: new MemoryStore(), clock: new FakeClock(), taskLeaseMs: 3000 };
  const a = groupHarness({ agents: trio(), ...shared });
  const b = groupHarness({ agents: trio(), ...shared });
  open.push(a, b);
  return { a, b };
}

describe('a group served by several hub nodes', () => {
  it('re-sends a reconnecting holder its turn as stored, though another node granted it since this one looked', async () => {
    const { a, b } = twoNodes();
    const g = await a.create({ members: ['ann', 'bob', 'cy'], turnTimeoutMs: 5000 });
    await a.settle();
    const annTurn = a.transport.lastGrant();
    // ann speaks through node b, which grants bob the next turn: node a's copy still shows ann's.
    await b.engine.speak('ann', { groupId: g.id, turnId: annTurn.turnId, content: 'over to bob' });
    await b.settle();
    const stored = (await b.view(g.id)).current!;
    expect(stored.agentId).toBe('bob');

    // bob's node died before he heard of his turn; he registers again on node a.
    await b.close();
    a.engine.agentOnline('bob');
    await a.settle();
    expect(a.transport.grants.filter((t) => t.agentId === 'bob')).toEqual([
      { agentId: 'bob', groupId: g.id, turnId: stored.turnId, turn: stored.turn, deadlineAt: stored.deadlineAt },
    ]);
    expect(a.transport.rooms.get(g.id)?.has('bob')).toBe(true);
  });

  it('has the node that re-sent the turn watch its deadline, the granting node being gone', async () => {
    const { a, b } = twoNodes();
    const g = await a.create({ members: ['ann', 'bob', 'cy'], turnTimeoutMs: 5000 });
    await a.settle();
    await b.engine.speak('ann', { groupId: g.id, turnId: a.transport.lastGrant().turnId, content: 'over to bob' });
    await b.settle();
    await b.close();
    a.engine.agentOnline('bob');
    await a.settle();

    // bob never answers: node a skips him at his deadline and the conversation goes on.
    await a.advance(5000);
    const view = await a.view(g.id);
    expect(view.history).toContainEqual(
      expect.objectContaining({ agentId: 'bob', outcome: 'skipped', reason: 'no message within 5000 ms' }),
    );
    expect(view.current?.agentId).toBe('cy');
  });

  it('watches the deadlines a dead node armed once told of its death: its turn is skipped, its claim lapses', async () => {
    const { a, b } = twoNodes();
    const g = await a.create({ members: ['ann', 'bob', 'cy'], turnTimeoutMs: 5000 });
    await a.settle();
    // Through node b: ann hands the turn to bob, and cy claims a task; node b arms both deadlines.
    await b.engine.speak('ann', { groupId: g.id, turnId: a.transport.lastGrant().turnId, content: 'over to bob' });
    const added = await a.engine.addTask(g.id, { kind: 'operator' }, { title: 'index the archive' });
    await b.engine.claimTask(g.id, 'cy', added.id);
    await b.settle();
    // Node b dies; bob (connected to node a) and cy stay silent, and nobody changes a task.
    await b.close();
    await a.engine.rearm();
    await a.advance(5000);

    const view = await a.view(g.id);
    expect(view.history).toContainEqual(
      expect.objectContaining({ agentId: 'bob', outcome: 'skipped', reason: 'no message within 5000 ms' }),
    );
    expect(view.current?.agentId).toBe('cy');
    expect(view.tasks.find((t) => t.id === added.id)).toMatchObject({ status: 'open', claimedBy: null, attempts: 1 });
    // Nothing re-granted: bob got no copy of his turn from node a.
    expect(a.transport.grants.filter((t) => t.agentId === 'bob')).toEqual([]);
  });
});
