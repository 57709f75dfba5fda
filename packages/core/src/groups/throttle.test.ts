import { afterEach, describe, expect, it } from 'vitest';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';

// Priority strategy: the top agent would speak every turn if the throttle did not bench it.
const agents = () => [agentInfo('boss', { priority: 9 }), agentInfo('ann', { priority: 1 }), agentInfo('bob', { priority: 1 })];
let h: GroupHarness;
afterEach(() => h?.close());

const spokenBy = async (id: string) => (await h.view(id)).history.filter((e) => e.outcome === 'spoken').map((e) => e.agentId);

describe('throttling', () => {
  it('allows 3 consecutive turns, then benches the agent for 1 turn', async () => {
    h = groupHarness({ agents: agents() });
    h.autoReply();
    const g = await h.create({ members: ['boss', 'ann', 'bob'], strategy: 'priority', maxTurns: 9 });
    await h.settle();
    expect(await spokenBy(g.id)).toEqual(['boss', 'boss', 'boss', 'ann', 'boss', 'boss', 'boss', 'bob', 'boss']);
  });

  it('records the throttled decision with its reason', async () => {
    h = groupHarness({ agents: agents() });
    h.autoReply();
    const g = await h.create({ members: ['boss', 'ann', 'bob'], strategy: 'priority', maxTurns: 4 });
    await h.settle();
    const throttled = (await h.view(g.id)).history.filter((e) => e.outcome === 'throttled');
    expect(throttled).toEqual([
      expect.objectContaining({ turn: 4, agentId: 'boss', reason: 'cooling down after 3 consecutive turns (1 turn left)' }),
    ]);
  });

  it('takes its limits from the group: 2 in a row, then 2 turns out', async () => {
    h = groupHarness({ agents: agents() });
    h.autoReply();
    const g = await h.create({ members: ['boss', 'ann', 'bob'], strategy: 'priority', maxTurns: 7, maxConsecutive: 2, cooldownTurns: 2 });
    await h.settle();
    expect(await spokenBy(g.id)).toEqual(['boss', 'boss', 'ann', 'bob', 'boss', 'boss', 'ann']);
  });

  it('stands aside when the benched agent is the only one who may speak', async () => {
    h = groupHarness({ agents: [agentInfo('boss', { priority: 9 }), agentInfo('ann', { health: 'suspect' })] });
    h.autoReply();
    const g = await h.create({ members: ['boss', 'ann'], strategy: 'priority', maxTurns: 4 });
    await h.settle();
    const view = await h.view(g.id);
    expect(await spokenBy(g.id)).toEqual(['boss', 'boss', 'boss', 'boss']);
    expect(view.history.find((e) => e.turn === 4 && e.outcome === 'granted')?.reason).toMatch(/throttle waived/);
  });

  it('is bypassed by an operator pick', async () => {
    h = groupHarness({ agents: agents() });
    h.autoReply((id, t) => (t.turn === 3 ? null : `${id} talks`));
    const g = await h.create({ members: ['boss', 'ann', 'bob'], strategy: 'priority', maxTurns: 5 });
    await h.settle();
    // boss holds turn 3 and will be at its limit once it speaks; the operator wants boss again anyway.
    const picked = await h.engine.pick(g.id, 'boss');
    expect(picked.appliesAt).toBe('next-turn');
    h.autoReply();
    const turn3 = h.transport.lastGrant();
    await h.engine.speak('boss', { groupId: g.id, turnId: turn3.turnId, content: 'third' });
    await h.settle();
    const view = await h.view(g.id);
    expect(view.history.find((e) => e.turn === 4 && e.outcome === 'granted')).toMatchObject({ agentId: 'boss', reason: 'operator pick' });
    expect(await spokenBy(g.id)).toEqual(['boss', 'boss', 'boss', 'boss', 'ann']);
  });

  it('is bypassed by a critical message: its author may take the next turn too', async () => {
    h = groupHarness({ agents: agents() });
    h.transport.onGrant = (agentId, t) => {
      const priority = t.turn === 3 ? 'critical' : 'normal';
      void h.engine.speak(agentId, { groupId: t.groupId, turnId: t.turnId, content: 'go', priority }).catch(() => undefined);
    };
    const g = await h.create({ members: ['boss', 'ann', 'bob'], strategy: 'priority', maxTurns: 5 });
    await h.settle();
    // Turn 4 is boss's despite its limit; the bench it still owes applies at turn 5.
    expect(await spokenBy(g.id)).toEqual(['boss', 'boss', 'boss', 'boss', 'ann']);
    const view = await h.view(g.id);
    expect(view.history.find((e) => e.turn === 3 && e.outcome === 'spoken')?.reason).toBe('critical');
  });
});
