import { afterEach, describe, expect, it } from 'vitest';
import type { RotationEntry } from '@agent-hub/protocol';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';

let h: GroupHarness;
afterEach(() => h?.close());
const quartet = () => ['ann', 'bob', 'cy', 'dee'].map((id) => agentInfo(id));

/** The current speaker speaks, naming a successor. */
async function speakHandingOff(groupId: string, handoff: string, priority?: 'critical') {
  const turn = h.transport.lastGrant();
  await h.engine.speak(turn.agentId, { groupId, turnId: turn.turnId, content: `over to ${handoff}`, handoff, priority });
  await h.settle();
}

const lastGrant = async (groupId: string): Promise<RotationEntry> =>
  (await h.view(groupId)).history.filter((e) => e.outcome === 'granted').at(-1)!;

describe('handoffs', () => {
  it('grants the named agent when it may speak next, and says so in the turn event', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy', 'dee'] });
    await h.settle();
    await speakHandingOff(g.id, 'dee');
    expect(await lastGrant(g.id)).toMatchObject({
      agentId: 'dee',
      reason: 'handoff from ann',
      handoff: { from: 'ann', to: 'dee', accepted: true, reason: null },
    });
    const events = h.published.map((e) => e.payload as { type: string; outcome?: string; handoff?: unknown });
    expect(events.filter((e) => e.type === 'turn' && e.outcome === 'granted').at(-1)).toMatchObject({
      agentId: 'dee',
      handoff: { accepted: true },
    });
    // The rotation continues from the agent handed to.
    await speakHandingOff(g.id, 'nobody-here');
    expect(await lastGrant(g.id)).toMatchObject({
      agentId: 'ann',
      handoff: { to: 'nobody-here', accepted: false, reason: 'nobody-here is not a member' },
    });
  });

  it('falls back to the strategy, with the reason, for an unhealthy, disallowed or throttled agent', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy', 'dee'], allowedTransitions: { bob: ['cy', 'ann'] }, maxConsecutive: 1 });
    await h.settle();
    h.setHealth('cy', 'zombie');
    await speakHandingOff(g.id, 'cy');
    expect(await lastGrant(g.id)).toMatchObject({
      agentId: 'bob',
      handoff: { from: 'ann', to: 'cy', accepted: false, reason: 'cy is zombie' },
    });
    await speakHandingOff(g.id, 'dee');
    expect(await lastGrant(g.id)).toMatchObject({
      agentId: 'ann',
      handoff: { from: 'bob', to: 'dee', accepted: false, reason: 'dee may not follow bob' },
    });
    // maxConsecutive 1: ann, who just spoke, sits out a turn.
    await speakHandingOff(g.id, 'ann');
    const refused = await lastGrant(g.id);
    expect(refused.agentId).not.toBe('ann');
    expect(refused.handoff).toMatchObject({ to: 'ann', accepted: false, reason: expect.stringMatching(/^ann is throttled: cooling down/) });
  });

  it('lets an operator pick come before a handoff', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy', 'dee'] });
    await h.settle();
    await h.engine.pick(g.id, 'cy');
    await speakHandingOff(g.id, 'dee');
    expect(await lastGrant(g.id)).toMatchObject({
      agentId: 'cy',
      reason: 'operator pick',
      handoff: { to: 'dee', accepted: false, reason: 'an operator pick came first' },
    });
  });
});
