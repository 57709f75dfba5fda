import { afterEach, describe, expect, it } from 'vitest';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';

let h: GroupHarness;
afterEach(() => h?.close());
const quartet = () => ['ann', 'bob', 'cy', 'dee'].map((id) => agentInfo(id));

describe('strategies inside the engine', () => {
  it('round-robin speaks every seat in order', async () => {
    h = groupHarness({ agents: quartet() });
    h.autoReply();
    await h.create({ members: ['ann', 'bob', 'cy', 'dee'], maxTurns: 6 });
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'bob', 'cy', 'dee', 'ann', 'bob']);
  });

  it('capability gives the turn to whoever the last message calls for', async () => {
    h = groupHarness({
      agents: [
        agentInfo('writer', { capabilities: ['writing'] }),
        agentInfo('tester', { capabilities: ['testing'] }),
        agentInfo('ops', { capabilities: ['deploy'] }),
      ],
    });
    const lines: Record<string, string> = {
      writer: 'Draft ready; needs testing',
      tester: 'Tests pass, please deploy',
      ops: 'Deployed; back to writing',
    };
    h.autoReply((id) => lines[id]!);
    await h.create({ members: ['writer', 'tester', 'ops'], strategy: 'capability', prompt: 'Start with writing the spec', maxTurns: 4 });
    await h.settle();
    expect(h.granted()).toEqual(['writer', 'tester', 'ops', 'writer']);
  });

  it('keeps every strategy within the allowed transitions', async () => {
    h = groupHarness({ agents: quartet() });
    h.autoReply();
    // ann → cy → bob → ann …; dee may never follow anyone who has spoken.
    await h.create({
      members: ['ann', 'bob', 'cy', 'dee'],
      maxTurns: 6,
      allowedTransitions: { ann: ['cy'], cy: ['bob'], bob: ['ann'] },
    });
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'cy', 'bob', 'ann', 'cy', 'bob']);
  });

  it('waits when the allowed transitions leave no healthy speaker, and goes on when one recovers', async () => {
    h = groupHarness({ agents: quartet() });
    h.autoReply((id, t) => (t.turn === 1 ? `${id} first` : null));
    const g = await h.create({ members: ['ann', 'bob', 'cy'], allowedTransitions: { ann: ['bob'] } });
    await h.settle();
    h.setHealth('bob', 'zombie');
    await h.settle();
    expect(await h.view(g.id)).toMatchObject({ current: null, waiting: 'no healthy member may follow ann' });
    h.setHealth('bob', 'healthy');
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'bob', 'bob']);
  });
});

describe('manual strategy and operator picks', () => {
  it('waits for the operator and grants the pick at once', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'], strategy: 'manual', manualWaitMs: 10_000 });
    await h.settle();
    expect(h.granted()).toEqual([]);
    expect((await h.view(g.id)).waiting).toBe('choosing the next speaker (manual)');
    const { group, appliesAt } = await h.engine.pick(g.id, 'cy');
    expect(appliesAt).toBe('now');
    expect(group.current).toMatchObject({ agentId: 'cy', turn: 1 });
    expect(group.history.at(-1)).toMatchObject({ agentId: 'cy', outcome: 'granted', reason: 'operator pick' });
    expect(h.granted()).toEqual(['cy']);
  });

  it('falls back to round-robin when no pick comes within manualWaitMs', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'], strategy: 'manual', manualWaitMs: 10_000 });
    await h.settle();
    await h.advance(9_999);
    expect(h.granted()).toEqual([]);
    await h.advance(1);
    expect(h.granted()).toEqual(['ann']);
    expect((await h.view(g.id)).history.at(-1)?.reason).toBe('no operator pick within 10000 ms (round-robin)');
  });

  it('applies a pick made during a turn at the turn boundary, in any strategy', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy', 'dee'] });
    await h.settle();
    const { appliesAt, group } = await h.engine.pick(g.id, 'dee');
    expect(appliesAt).toBe('next-turn');
    expect(group).toMatchObject({ pendingPick: 'dee', current: { agentId: 'ann' } });
    await h.engine.speak('ann', { groupId: g.id, turnId: h.transport.lastGrant().turnId, content: 'done' });
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'dee']);
    expect((await h.view(g.id)).pendingPick).toBeNull();
  });

  it('keeps a pick made while paused for the resume', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    await h.engine.pause(g.id);
    expect((await h.engine.pick(g.id, 'cy')).appliesAt).toBe('on-resume');
    await h.engine.resume(g.id);
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'cy']);
  });

  it('drops a pick of an agent that cannot speak, recording why, and goes on', async () => {
    h = groupHarness({ agents: quartet() });
    h.directory.set('cy', agentInfo('cy', { health: 'zombie' }));
    const g = await h.create({ members: ['ann', 'bob', 'cy'], strategy: 'manual', manualWaitMs: 1000 });
    await h.settle();
    const { group } = await h.engine.pick(g.id, 'cy');
    expect(group.history.at(-1)).toMatchObject({ agentId: 'cy', outcome: 'skipped', reason: 'operator pick dropped: agent is zombie' });
    await h.settle();
    await h.advance(1000);
    expect(h.granted()).toEqual(['ann']);
  });

  it('refuses a pick of a non-member with GROUP_NOT_MEMBER', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob'] });
    await expect(h.engine.pick(g.id, 'dee')).rejects.toMatchObject({ code: 'GROUP_NOT_MEMBER' });
  });
});

describe('tasks in a group', () => {
  it('lets members add, claim and complete tasks, persisted with the group', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob'] });
    const t = await h.engine.addTask(g.id, { kind: 'agent', id: 'ann' }, { title: 'write docs' });
    await h.engine.claimTask(g.id, 'bob', t.id);
    await h.engine.completeTask(g.id, { kind: 'agent', id: 'bob' }, t.id, 'docs/groups.md');
    const stored = await h.kv.getValue<{ tasks: Array<{ status: string }> }>(`group:${g.id}`);
    expect(stored?.value.tasks[0]?.status).toBe('done');
    const list = await h.engine.listTasks(g.id, { kind: 'operator' });
    expect(list.summary).toMatchObject({ total: 1, done: 1, complete: true });
  });

  it('refuses task changes from non-members and on unknown tasks', async () => {
    h = groupHarness({ agents: quartet() });
    const g = await h.create({ members: ['ann', 'bob'] });
    await expect(h.engine.addTask(g.id, { kind: 'agent', id: 'dee' }, { title: 'x' })).rejects.toMatchObject({ code: 'GROUP_NOT_MEMBER' });
    await expect(h.engine.claimTask(g.id, 'ann', 'nope')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });
});
