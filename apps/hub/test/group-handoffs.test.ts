import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Group, RotationEntry } from '@agent-hub/protocol';
import { joinGroup, type TurnAnswer } from '@agent-hub/sdk';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

describe('handoffs between SDK agents on a real hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('follows a handoff to an eligible agent and refuses one the transitions forbid, saying why', async () => {
    const names = ['ho-a', 'ho-b', 'ho-c', 'ho-d'];
    const clients = await Promise.all(names.map((n) => t.agent(n)));
    // ho-c may only hand over to ho-a or ho-b.
    const created = await t.api('/api/groups', post({ members: names, maxTurns: 3, allowedTransitions: { 'ho-c': ['ho-a', 'ho-b'] } }));
    expect(created.status).toBe(201);
    const group: Group = await json(created);
    const script: Record<string, TurnAnswer[]> = {
      'ho-a': [{ content: 'ho-c knows this part', handoff: 'ho-c' }, { content: 'wrapping up' }],
      'ho-c': [{ content: 'ho-d should check it', handoff: 'ho-d' }],
    };
    const parts = await Promise.all(
      clients.map((c, i) => joinGroup(c, group.id, () => script[names[i]!]?.shift() ?? { content: `${names[i]} has nothing to add` })),
    );
    expect(await parts[0]!.ended).toBe('max turns reached (3)');

    const final: Group = await json(await t.api(`/api/groups/${group.id}`));
    const grants = final.history.filter((e) => e.outcome === 'granted');
    expect(grants.map((e) => [e.agentId, e.reason, e.handoff ?? null])).toEqual([
      ['ho-a', 'round-robin', null],
      ['ho-c', 'handoff from ho-a', { from: 'ho-a', to: 'ho-c', accepted: true, reason: null }],
      ['ho-a', 'round-robin', { from: 'ho-c', to: 'ho-d', accepted: false, reason: 'ho-d may not follow ho-c' }],
    ]);

    // The same verdicts travel in the turn events on the group's topic.
    const events = await json(await t.api(`/api/events?patterns=group:${group.id}&limit=100`));
    const turnEvents: RotationEntry[] = events.items
      .map((e: { payload: RotationEntry & { type: string } }) => e.payload)
      .filter((p: { type: string; outcome?: string }) => p.type === 'turn' && p.outcome === 'granted');
    expect(turnEvents.map((e) => e.handoff ?? null)).toEqual(grants.map((e) => e.handoff ?? null));
  });

  it('refuses a handoff to an agent that is not connected, and the strategy chooses', async () => {
    const clients = await Promise.all(['hx-a', 'hx-b'].map((n) => t.agent(n)));
    const group: Group = await json(await t.api('/api/groups', post({ members: ['hx-a', 'hx-b', 'hx-gone'], maxTurns: 2 })));
    const said: string[] = [];
    await Promise.all(
      clients.map((c, i) =>
        joinGroup(c, group.id, () => {
          said.push(`hx-${'ab'[i]}`);
          return i === 0 ? { content: 'over to the absent one', handoff: 'hx-gone' } : 'here';
        }),
      ),
    );
    await eventually(async () => (await json(await t.api(`/api/groups/${group.id}`))).status === 'ended', 5000, 'group ends');
    const final: Group = await json(await t.api(`/api/groups/${group.id}`));
    const second = final.history.filter((e) => e.outcome === 'granted')[1]!;
    expect(second.agentId).toBe('hx-b');
    expect(second.handoff).toMatchObject({
      to: 'hx-gone',
      accepted: false,
      reason: expect.stringMatching(/^hx-gone is (unknown|disconnected)$/),
    });
  });
});
