import { afterEach, describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { HISTORY_LIMIT } from './group-state.ts';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';
import { MemoryStore } from '../memory-store/memory-store.ts';

const trio = () => [agentInfo('ann'), agentInfo('bob'), agentInfo('cy')];
let h: GroupHarness;
afterEach(() => h?.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HubError) return err.code;
    throw err;
  }
  throw new Error('expected a HubError');
}

describe('group size', () => {
  it('seats 2 to 10 agents and refuses fewer or more with GROUP_SIZE_INVALID', async () => {
    const agents = Array.from({ length: 11 }, (_, i) => agentInfo(`a${i}`));
    h = groupHarness({ agents });
    const ids = agents.map((a) => a.id);
    expect(await codeOf(h.create({ members: ['a0'] }))).toBe('GROUP_SIZE_INVALID');
    expect(await codeOf(h.create({ members: ['a0', 'a0'] }))).toBe('GROUP_SIZE_INVALID');
    expect(await codeOf(h.create({ members: ids }))).toBe('GROUP_SIZE_INVALID');
    expect((await h.create({ members: ids.slice(0, 2) })).members).toEqual(['a0', 'a1']);
    expect((await h.create({ members: ids.slice(0, 10) })).members).toHaveLength(10);
  });

  it('refuses an 11th member joining and ends the group when fewer than 2 remain', async () => {
    const agents = Array.from({ length: 11 }, (_, i) => agentInfo(`a${i}`));
    h = groupHarness({ agents });
    const full = await h.create({ members: agents.slice(0, 10).map((a) => a.id) });
    expect(await codeOf(h.engine.join(full.id, 'a10'))).toBe('GROUP_SIZE_INVALID');
    const pair = await h.create({ members: ['a0', 'a1'] });
    const after = await h.engine.leave(pair.id, 'a1');
    expect(after.status).toBe('ended');
    expect(h.transport.endings).toContainEqual({ groupId: pair.id, reason: 'fewer than 2 members' });
  });
});

describe('turn-taking', () => {
  it('grants the first turn to the first seat, with a turn id and a deadline', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'], turnTimeoutMs: 5000 });
    await h.settle();
    const turn = h.transport.lastGrant();
    expect(turn).toMatchObject({ agentId: 'ann', groupId: g.id, turn: 1 });
    expect(Date.parse(turn.deadlineAt!) - h.clock.now()).toBe(5000);
    expect(h.transport.rooms.get(g.id)).toEqual(new Set(['ann', 'bob', 'cy']));
  });

  it("accepts the speaker's message, appends it to the session as that agent and broadcasts it", async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'], prompt: 'Plan the release' });
    await h.settle();
    const { turnId } = h.transport.lastGrant();
    const spoken = await h.engine.speak('ann', { groupId: g.id, turnId, content: 'I will write the notes' });
    expect(spoken.message).toMatchObject({ role: 'agent', author: 'ann', content: 'I will write the notes', seq: 2 });
    expect(h.transport.messages.map((m) => m.message.content)).toEqual(['I will write the notes']);
    const session = await h.sessions.get({ kind: 'operator' }, g.sessionId);
    expect(session.members).toEqual(['ann', 'bob', 'cy']);
    expect(session.messages.map((m) => [m.role, m.author, m.content])).toEqual([
      ['operator', 'operator', 'Plan the release'],
      ['agent', 'ann', 'I will write the notes'],
    ]);
    await h.settle();
    expect(h.transport.lastGrant()).toMatchObject({ agentId: 'bob', turn: 2 });
  });

  it('refuses a message from anyone but the speaker, or with a stale turn id, with GROUP_NOT_YOUR_TURN', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    const first = h.transport.lastGrant();
    expect(await codeOf(h.engine.speak('bob', { groupId: g.id, turnId: first.turnId, content: 'me first' }))).toBe('GROUP_NOT_YOUR_TURN');
    await h.engine.speak('ann', { groupId: g.id, turnId: first.turnId, content: 'hello' });
    await h.settle();
    expect(await codeOf(h.engine.speak('ann', { groupId: g.id, turnId: first.turnId, content: 'again' }))).toBe('GROUP_NOT_YOUR_TURN');
    expect(await codeOf(h.engine.speak('bob', { groupId: g.id, turnId: first.turnId, content: 'stale' }))).toBe('GROUP_NOT_YOUR_TURN');
    expect(await codeOf(h.engine.speak('zed', { groupId: g.id, turnId: first.turnId, content: 'hi' }))).toBe('GROUP_NOT_MEMBER');
    expect(await codeOf(h.engine.speak('ann', { groupId: crypto.randomUUID(), turnId: 'x', content: 'hi' }))).toBe('GROUP_NOT_FOUND');
  });

  it('records every decision in the rotation history and publishes it on group:<id>', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply();
    const g = await h.create({ members: ['ann', 'bob', 'cy'], maxTurns: 2 });
    await h.settle();
    const view = await h.view(g.id);
    expect(view.history.map((e) => [e.turn, e.agentId, e.outcome])).toEqual([
      [1, 'ann', 'granted'],
      [1, 'ann', 'spoken'],
      [2, 'bob', 'granted'],
      [2, 'bob', 'spoken'],
    ]);
    const turns = h.published.filter((e) => (e.payload as { type: string }).type === 'turn');
    expect(turns.every((e) => e.topic === `group:${g.id}` && e.priority === 'normal')).toBe(true);
    expect(turns.map((e) => (e.payload as { outcome: string }).outcome)).toEqual(['granted', 'spoken', 'granted', 'spoken']);
  });

  it('keeps only the last 200 rotation entries in the group state', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply();
    const g = await h.create({ members: ['ann', 'bob', 'cy'], maxTurns: 150 });
    await h.settle();
    const view = await h.view(g.id);
    expect(view.spokenTurns).toBe(150);
    expect(view.history).toHaveLength(HISTORY_LIMIT);
    expect(view.history[view.history.length - 1]).toMatchObject({ turn: 150, outcome: 'spoken' });
  });

  it('lets an operator add to the shared context without taking a turn', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    const msg = await h.engine.operatorMessage(g.id, { content: 'Focus on security' });
    expect(msg).toMatchObject({ role: 'operator', author: 'operator', content: 'Focus on security' });
    expect(h.transport.messages.at(-1)?.message.content).toBe('Focus on security');
    expect((await h.view(g.id)).current?.agentId).toBe('ann');
  });
});

describe('termination', () => {
  it('ends the group after maxTurns spoken turns', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply();
    const g = await h.create({ members: ['ann', 'bob', 'cy'], maxTurns: 4 });
    await h.settle();
    const view = await h.view(g.id);
    expect(view).toMatchObject({ status: 'ended', spokenTurns: 4, endedReason: 'max turns reached (4)', current: null });
    expect(h.transport.endings).toEqual([{ groupId: g.id, reason: 'max turns reached (4)' }]);
  });

  it('ends the group when a message contains the stop word', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply((id, t) => (t.turn === 3 ? 'All done. TERMINATE' : `${id}: working`));
    const g = await h.create({ members: ['ann', 'bob', 'cy'], stopWord: 'terminate' });
    await h.settle();
    const view = await h.view(g.id);
    expect(view).toMatchObject({ status: 'ended', spokenTurns: 3, endedReason: 'stop word "terminate"' });
    expect(await codeOf(h.engine.speak('ann', { groupId: g.id, turnId: 'x', content: 'more' }))).toBe('GROUP_ENDED');
  });

  it('does not end on a word that merely contains the stop word', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply(() => 'the job terminated cleanly');
    const g = await h.create({ members: ['ann', 'bob', 'cy'], stopWord: 'terminate', maxTurns: 3 });
    await h.settle();
    expect((await h.view(g.id)).endedReason).toBe('max turns reached (3)');
  });

  it('skips a speaker silent past turnTimeoutMs and ends the group at its overall timeout', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply((id) => (id === 'bob' ? null : `${id} here`));
    const g = await h.create({ members: ['ann', 'bob', 'cy'], turnTimeoutMs: 1000, timeoutMs: 10_000 });
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'bob']);
    await h.advance(999);
    expect(h.granted()).toEqual(['ann', 'bob']);
    await h.advance(1);
    expect(h.granted().slice(0, 3)).toEqual(['ann', 'bob', 'cy']);
    const view = await h.view(g.id);
    expect(view.history).toContainEqual(
      expect.objectContaining({ agentId: 'bob', outcome: 'skipped', reason: 'no message within 1000 ms' }),
    );
    await h.advance(10_000);
    expect((await h.view(g.id)).status).toBe('ended');
    expect(h.transport.endings).toEqual([{ groupId: g.id, reason: 'timed out after 10000 ms' }]);
  });

  it("ends on an operator's request and refuses to end twice", async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    const ended = await h.engine.end(g.id, 'enough');
    expect(ended).toMatchObject({ status: 'ended', endedReason: 'enough', current: null });
    expect(h.transport.endings).toEqual([{ groupId: g.id, reason: 'enough' }]);
    expect(await codeOf(h.engine.end(g.id))).toBe('GROUP_ENDED');
  });
});

describe('pause and resume', () => {
  it('withdraws the outstanding turn, refuses speech while paused, and asks the same seat again on resume', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    const first = h.transport.lastGrant();
    const paused = await h.engine.pause(g.id);
    expect(paused).toMatchObject({ status: 'paused', current: null });
    expect(await codeOf(h.engine.speak('ann', { groupId: g.id, turnId: first.turnId, content: 'late' }))).toBe('GROUP_PAUSED');
    await h.advance(120_000);
    expect(h.granted()).toEqual(['ann']);
    await h.engine.resume(g.id);
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'ann']);
    expect(h.transport.lastGrant().turnId).not.toBe(first.turnId);
  });
});

describe('health', () => {
  it('passes over members that are not healthy', async () => {
    h = groupHarness({ agents: [agentInfo('ann'), agentInfo('bob', { health: 'suspect' }), agentInfo('cy')] });
    h.autoReply();
    await h.create({ members: ['ann', 'bob', 'cy'], maxTurns: 4 });
    await h.settle();
    expect(h.granted()).toEqual(['ann', 'cy', 'ann', 'cy']);
  });

  it('skips the current speaker at once when it disconnects mid-conversation, recording why', async () => {
    h = groupHarness({ agents: trio() });
    h.autoReply((id, t) => (id === 'bob' && t.turn === 2 ? null : `${id} ok`));
    const g = await h.create({ members: ['ann', 'bob', 'cy'], maxTurns: 4 });
    await h.settle();
    expect((await h.view(g.id)).current?.agentId).toBe('bob');
    h.setHealth('bob', 'disconnected');
    await h.settle();
    const view = await h.view(g.id);
    expect(view.history).toContainEqual(
      expect.objectContaining({ turn: 2, agentId: 'bob', outcome: 'skipped', reason: 'speaker is disconnected' }),
    );
    expect(h.granted()).toEqual(['ann', 'bob', 'cy', 'ann', 'cy']);
    expect(view.status).toBe('ended');
  });

  it('waits while no member is healthy and goes on when one recovers', async () => {
    h = groupHarness({ agents: [agentInfo('ann', { health: 'connecting' }), agentInfo('bob', { health: 'connecting' })] });
    const g = await h.create({ members: ['ann', 'bob'] });
    await h.settle();
    expect((await h.view(g.id)).waiting).toBe('no member is healthy');
    h.setHealth('bob', 'healthy');
    await h.settle();
    expect(h.granted()).toEqual(['bob']);
    expect((await h.view(g.id)).waiting).toBeNull();
  });

  it("gives a replaced agent's seat, claims and turn to its replacement, which joins the room", async () => {
    h = groupHarness({ agents: [...trio(), agentInfo('dee')] });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    const task = await h.engine.addTask(g.id, { kind: 'operator' }, { title: 'draft' });
    await h.engine.claimTask(g.id, 'ann', task.id);
    h.engine.replaced({ from: 'ann', to: 'dee' });
    await h.settle();
    const view = await h.view(g.id);
    expect(view.members).toEqual(['dee', 'bob', 'cy']);
    expect(view.current?.agentId).toBe('dee');
    expect(view.tasks[0]!.claimedBy).toBe('dee');
    expect(h.transport.rooms.get(g.id)).toEqual(new Set(['dee', 'bob', 'cy']));
    expect(view.history).toContainEqual(expect.objectContaining({ agentId: 'ann', outcome: 'skipped', reason: 'replaced by dee' }));
    const { turnId } = h.transport.lastGrant();
    const spoken = await h.engine.speak('dee', { groupId: g.id, turnId, content: 'taking over' });
    expect(spoken.message.author).toBe('dee');
    expect((await h.sessions.get({ kind: 'operator' }, g.sessionId)).members).toContain('dee');
  });
});

describe('joining and leaving', () => {
  it('seats a joining agent at the end of the rotation and hands it the shared context', async () => {
    h = groupHarness({ agents: [...trio(), agentInfo('dee')] });
    const g = await h.create({ members: ['ann', 'bob'], prompt: 'Hello all' });
    const joined = await h.engine.join(g.id, 'dee');
    expect(joined.group.members).toEqual(['ann', 'bob', 'dee']);
    expect(joined.messages.map((m) => m.content)).toEqual(['Hello all']);
    expect(h.transport.rooms.get(g.id)?.has('dee')).toBe(true);
  });

  it('re-sends the turn to its holder when it joins again (after a reconnect)', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob'] });
    await h.settle();
    const first = h.transport.lastGrant();
    await h.engine.join(g.id, 'ann');
    expect(h.transport.lastGrant()).toEqual(first);
    expect(h.transport.grants).toHaveLength(2);
  });

  it('skips a leaving speaker and drops its seat', async () => {
    h = groupHarness({ agents: trio() });
    const g = await h.create({ members: ['ann', 'bob', 'cy'] });
    await h.settle();
    await h.engine.leave(g.id, 'ann');
    await h.settle();
    const view = await h.view(g.id);
    expect(view.members).toEqual(['bob', 'cy']);
    expect(view.current?.agentId).toBe('bob');
    expect(await codeOf(h.engine.leave(g.id, 'ann'))).toBe('GROUP_NOT_MEMBER');
  });
});

describe('configuration', () => {
  it('refuses an llm group when no LLM endpoint is configured (CONFIG_INVALID), not a silent fallback', async () => {
    h = groupHarness({ agents: trio() });
    expect(await codeOf(h.create({ members: ['ann', 'bob'], strategy: 'llm' }))).toBe('CONFIG_INVALID');
  });

  it('refuses an allowed-transitions map naming non-members', async () => {
    h = groupHarness({ agents: trio() });
    expect(await codeOf(h.create({ members: ['ann', 'bob'], allowedTransitions: { ann: ['zed'] } }))).toBe('VALIDATION_FAILED');
  });
});

describe('restart', () => {
  it('restores running groups in a new engine from the same KV store and re-grants the current turn', async () => {
    const store = new MemoryStore();
    const first = groupHarness({ agents: trio(), store });
    // Three turns are spoken; the fourth speaker is still thinking when the hub goes down.
    first.autoReply((id, t) => (t.turn <= 3 ? `${id} on turn ${t.turn}` : null));
    const g = await first.create({ members: ['ann', 'bob', 'cy'], maxTurns: 5 });
    await first.engine.addTask(g.id, { kind: 'operator' }, { title: 'ship it' });
    await first.settle();
    const before = await first.view(g.id);
    expect(before).toMatchObject({ spokenTurns: 3, current: { agentId: 'ann', turn: 4 } });
    await first.close();

    h = groupHarness({ agents: trio(), store, clock: first.clock });
    expect(await h.engine.restore()).toBe(1);
    await h.settle();
    const after = await h.view(g.id);
    expect(after).toMatchObject({
      status: 'running',
      members: before.members,
      turn: before.turn,
      spokenTurns: before.spokenTurns,
      lastSpeakerId: before.lastSpeakerId,
      tasks: before.tasks,
    });
    expect(after.current?.turnId).toBe(before.current?.turnId);
    expect(after.history.at(-1)).toMatchObject({ agentId: before.current!.agentId, outcome: 'granted', reason: 'restored after restart' });
    expect(h.transport.lastGrant()).toMatchObject({ agentId: before.current!.agentId, turnId: before.current!.turnId });
    expect(h.transport.rooms.get(g.id)).toEqual(new Set(['ann', 'bob', 'cy']));
    h.autoReply();
    await h.engine.speak('ann', { groupId: g.id, turnId: before.current!.turnId, content: 'after restart' });
    await h.settle();
    const done = await h.view(g.id);
    expect(done).toMatchObject({ status: 'ended', spokenTurns: 5 });
    expect(done.history.filter((e) => e.outcome === 'spoken').map((e) => e.agentId)).toEqual(['ann', 'bob', 'cy', 'ann', 'bob']);
  });

  it('restarts the turn clock on restore, so the outage does not count against the speaker', async () => {
    const store = new MemoryStore();
    const first = groupHarness({ agents: trio(), store });
    const g = await first.create({ members: ['ann', 'bob'], turnTimeoutMs: 1000 });
    await first.settle();
    await first.close();
    first.clock.advance(5000);
    h = groupHarness({ agents: trio(), store, clock: first.clock });
    await h.engine.restore();
    await h.advance(999);
    expect((await h.view(g.id)).current?.agentId).toBe('ann');
    await h.advance(1);
    expect((await h.view(g.id)).current?.agentId).toBe('bob');
  });
});
