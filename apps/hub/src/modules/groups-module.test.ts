import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { GroupEngine } from '@agent-hub/core';
import { HubError, type Group, type GroupTask, type GroupTurnGrant } from '@agent-hub/protocol';
import { groupTasks, joinGroup, type AgentClient } from '@agent-hub/sdk';
import type { HubModule } from '../module.ts';
import { eventually, json, startTestHub } from '../../test/support/test-hub.ts';

/** A real in-process hub; the groups engine is reached through its modules (`replace` is fired by hand). */
async function startGroupsHub(env: Record<string, string> = {}) {
  const t = await startTestHub(env);
  const groups = t.hub.modules.find((m) => m.name === 'groups') as HubModule & { engine: GroupEngine };
  return {
    url: t.url,
    ctx: t.hub.ctx,
    engine: groups.engine,
    replace: (p: { from: string; to: string }) => groups.engine.replaced(p),
    api: t.api,
    agent: (agentId: string, capabilities: string[] = []): Promise<AgentClient> => t.agent(agentId, { capabilities }),
    operator(): ClientSocket {
      return ioClient(`${t.url}/operators`, { transports: ['websocket'], auth: { token: t.token }, forceNew: true });
    },
    close: t.close,
  };
}

type GroupsHub = Awaited<ReturnType<typeof startGroupsHub>>;
const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
/** The error code a rejected socket call acked with. */
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof HubError ? err.code : String(err)),
  );

describe('groups over HTTP and sockets', () => {
  let hub: GroupsHub;
  beforeAll(async () => {
    hub = await startGroupsHub();
  });
  afterAll(() => hub.close());

  it('runs a round-robin conversation between SDK agents to maxTurns and tells everyone it ended', async () => {
    const names = ['alpha', 'beta', 'gamma'];
    const clients = await Promise.all(names.map((n) => hub.agent(n)));
    const created = await hub.api('/api/groups', post({ members: names, maxTurns: 6, prompt: 'Count to six' }));
    expect(created.status).toBe(201);
    const group: Group = await json(created);
    const heard: Record<string, string[]> = {};
    const parts = await Promise.all(
      clients.map((c, i) => {
        heard[names[i]!] = [];
        c.on('group:message', (p: { message: { content: string } }) => heard[names[i]!]!.push(p.message.content));
        return joinGroup(c, group.id, (turn, context) => `${names[i]} says ${context.messages.length} (turn ${turn.turn})`);
      }),
    );
    expect(await Promise.all(parts.map((p) => p.ended))).toEqual(Array(3).fill('max turns reached (6)'));
    const final: Group = await json(await hub.api(`/api/groups/${group.id}`));
    expect(final).toMatchObject({ status: 'ended', spokenTurns: 6 });
    expect(final.history.filter((e) => e.outcome === 'spoken').map((e) => e.agentId)).toEqual([...names, ...names]);
    await eventually(() => Object.values(heard).every((h) => h.length === 6), 2000, 'broadcasts');
    const session = await json(await hub.api(`/api/sessions/${group.sessionId}`));
    expect(session.messages.map((m: { author: string }) => m.author)).toEqual(['operator', ...names, ...names]);
    expect(session.messages[1].content).toBe('alpha says 1 (turn 1)');
    const events = await json(await hub.api(`/api/events?patterns=group:${group.id}&limit=100`));
    const outcomes = events.items.filter((e: any) => e.payload.type === 'turn').map((e: any) => e.payload.outcome);
    expect(outcomes.filter((o: string) => o === 'spoken')).toHaveLength(6);
  });

  it('answers bad sizes, an unconfigured llm strategy and unknown groups with typed errors', async () => {
    const small = await hub.api('/api/groups', post({ members: ['solo'] }));
    expect(small.status).toBe(400);
    expect((await json(small)).error.code).toBe('GROUP_SIZE_INVALID');
    const big = await hub.api('/api/groups', post({ members: Array.from({ length: 11 }, (_, i) => `a${i}`) }));
    expect((await json(big)).error.code).toBe('GROUP_SIZE_INVALID');
    const llm = await hub.api('/api/groups', post({ members: ['a1', 'a2'], strategy: 'llm' }));
    expect(llm.status).toBe(500);
    expect((await json(llm)).error.code).toBe('CONFIG_INVALID');
    const missing = await hub.api(`/api/groups/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('GROUP_NOT_FOUND');
  });

  it('acks a speak out of turn with GROUP_NOT_YOUR_TURN', async () => {
    const [a, b] = await Promise.all([hub.agent('ooo-a'), hub.agent('ooo-b')]);
    const turns: GroupTurnGrant[] = [];
    a.on('group:turn', (t: GroupTurnGrant) => turns.push(t));
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['ooo-a', 'ooo-b'] })));
    await eventually(() => turns.length === 1, 2000, 'first turn');
    expect(await codeOf(b.call('group:speak', { groupId: group.id, turnId: turns[0]!.turnId, content: 'me!' }))).toBe(
      'GROUP_NOT_YOUR_TURN',
    );
    await a.call('group:speak', { groupId: group.id, turnId: turns[0]!.turnId, content: 'mine' });
    await hub.api(`/api/groups/${group.id}/end`, { method: 'POST' });
  });

  it('lets an operator steer a manual group: picks, messages, pause and resume, with group:update pushed', async () => {
    const [a, b, c] = await Promise.all([hub.agent('man-a'), hub.agent('man-b'), hub.agent('man-c')]);
    const ops = hub.operator();
    const updates: Group[] = [];
    ops.on('group:update', (g: Group) => updates.push(g));
    await new Promise<void>((r) => ops.once('connect', () => r()));
    const turns: Array<{ agent: string; turn: GroupTurnGrant }> = [];
    for (const [name, client] of [
      ['man-a', a],
      ['man-b', b],
      ['man-c', c],
    ] as const) {
      client.on('group:turn', (turn: GroupTurnGrant) => turns.push({ agent: name, turn }));
    }
    const group: Group = await json(
      await hub.api('/api/groups', post({ members: ['man-a', 'man-b', 'man-c'], strategy: 'manual', manualWaitMs: 60_000 })),
    );
    const picked = await json(await hub.api(`/api/groups/${group.id}/next`, post({ agentId: 'man-c' })));
    expect(picked.appliesAt).toBe('now');
    expect(picked.group.current.agentId).toBe('man-c');
    await eventually(() => turns.length === 1, 2000, 'picked turn');
    expect(turns[0]!.agent).toBe('man-c');

    const heard: string[] = [];
    a.on('group:message', (p: { message: { content: string; role: string } }) => heard.push(`${p.message.role}:${p.message.content}`));
    expect((await hub.api(`/api/groups/${group.id}/messages`, post({ content: 'Be brief' }))).status).toBe(201);
    await eventually(() => heard.includes('operator:Be brief'), 2000, 'operator message');

    const paused: Group = await json(await hub.api(`/api/groups/${group.id}/pause`, { method: 'POST' }));
    expect(paused).toMatchObject({ status: 'paused', current: null });
    expect(await codeOf(c.call('group:speak', { groupId: group.id, turnId: turns[0]!.turn.turnId, content: 'late' }))).toBe('GROUP_PAUSED');
    expect((await json(await hub.api(`/api/groups/${group.id}/next`, post({ agentId: 'man-a' })))).appliesAt).toBe('on-resume');
    await hub.api(`/api/groups/${group.id}/resume`, { method: 'POST' });
    await eventually(() => turns.length === 2, 2000, 'turn after resume');
    expect(turns[1]!.agent).toBe('man-a');

    await eventually(() => updates.some((u) => u.id === group.id && u.status === 'paused'), 2000, 'operator feed');
    expect(updates.filter((u) => u.id === group.id).at(-1)?.current?.agentId).toBe('man-a');
    const ended: Group = await json(await hub.api(`/api/groups/${group.id}/end`, post({ reason: 'demo over' })));
    expect(ended.endedReason).toBe('demo over');
    ops.close();
  });

  it('runs the task queue from both sides, with typed errors for bad transitions', async () => {
    const [a] = await Promise.all([hub.agent('task-a'), hub.agent('task-b')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['task-a', 'task-b'] })));
    const added = await json(await hub.api(`/api/groups/${group.id}/tasks`, post({ title: 'write the summary' })));
    expect(added).toMatchObject({ status: 'open', title: 'write the summary' });
    const tasks = groupTasks(a, group.id);
    expect(await tasks.claim(added.id)).toMatchObject({ status: 'claimed', claimedBy: 'task-a' });
    expect(await codeOf(tasks.claim(added.id))).toBe('TASK_STATE_INVALID');
    expect(await codeOf(tasks.fail('nope', 'x'))).toBe('TASK_NOT_FOUND');
    expect(await tasks.complete(added.id, { words: 120 })).toMatchObject({ status: 'done', result: { words: 120 } });
    const second = await tasks.add('review it');
    const bad = await hub.api(`/api/groups/${group.id}/tasks/${second.id}/complete`, { method: 'POST' });
    expect(bad.status).toBe(409);
    expect((await json(bad)).error.code).toBe('TASK_STATE_INVALID');
    const list = await json(await hub.api(`/api/groups/${group.id}/tasks`));
    expect(list.summary).toMatchObject({ total: 2, done: 1, open: 1, complete: false });
    expect((await tasks.list()).items).toHaveLength(2);
    await hub.api(`/api/groups/${group.id}/end`, { method: 'POST' });
  });

  it('skips a speaker whose socket drops mid-turn', async () => {
    const [a, b] = await Promise.all([hub.agent('drop-a'), hub.agent('drop-b'), hub.agent('drop-c')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['drop-a', 'drop-b', 'drop-c'], turnTimeoutMs: 60_000 })));
    await eventually(async () => (await hub.engine.get(group.id)).current?.agentId === 'drop-a', 2000, 'first turn');
    const turn = (await hub.engine.get(group.id)).current!;
    await a.call('group:speak', { groupId: group.id, turnId: turn.turnId, content: 'over to b' });
    await eventually(async () => (await hub.engine.get(group.id)).current?.agentId === 'drop-b', 2000, 'b holds the turn');
    await b.close();
    await eventually(async () => (await hub.engine.get(group.id)).current?.agentId === 'drop-c', 3000, 'c gets the turn');
    const g = await hub.engine.get(group.id);
    expect(g.history).toContainEqual(expect.objectContaining({ agentId: 'drop-b', outcome: 'skipped', reason: 'speaker is disconnected' }));
    await hub.engine.end(group.id);
  });

  it("hands a replaced agent's seat and turn to the stand-in, which joins the room", async () => {
    const [, , stand] = await Promise.all([hub.agent('rep-a'), hub.agent('rep-b'), hub.agent('rep-c')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['rep-a', 'rep-b'] })));
    await eventually(async () => (await hub.engine.get(group.id)).current?.agentId === 'rep-a', 2000, 'first turn');
    const turns: GroupTurnGrant[] = [];
    const heard: string[] = [];
    stand.on('group:turn', (t: GroupTurnGrant) => turns.push(t));
    stand.on('group:message', (p: { message: { content: string } }) => heard.push(p.message.content));
    hub.replace({ from: 'rep-a', to: 'rep-c' });
    await eventually(() => turns.length === 1, 2000, 'stand-in turn');
    await stand.call('group:speak', { groupId: group.id, turnId: turns[0]!.turnId, content: 'rep-c here' });
    await eventually(() => heard.includes('rep-c here'), 2000, 'stand-in hears the room');
    expect((await hub.engine.get(group.id)).members).toEqual(['rep-c', 'rep-b']);
    await hub.engine.end(group.id);
  });
});

describe('group task leases', () => {
  const LEASE_MS = 3000;
  let hub: GroupsHub;
  beforeAll(async () => {
    hub = await startGroupsHub({ GROUP_TASK_LEASE_MS: String(LEASE_MS) });
  });
  afterAll(() => hub.close());

  const taskOf = async (groupId: string, taskId: string): Promise<GroupTask> =>
    (await json(await hub.api(`/api/groups/${groupId}/tasks`))).items.find((t: GroupTask) => t.id === taskId);

  it('leaves a long task with its worker while the SDK extends the lease, then completes it', async () => {
    const [worker, other] = await Promise.all([hub.agent('lease-worker'), hub.agent('lease-other')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['lease-worker', 'lease-other'] })));
    const added = await groupTasks(other, group.id).add('summarize the archive');
    let finish!: (result: unknown) => void;
    let claimed: GroupTask | null = null;
    const working = groupTasks(worker, group.id).work(added.id, (task) => {
      claimed = task;
      return new Promise((resolve) => (finish = resolve));
    });
    await eventually(() => claimed !== null, 5000, 'the handler running');
    const firstDeadline = Date.parse(claimed!.leaseExpiresAt!);
    expect(firstDeadline - Date.parse(claimed!.updatedAt)).toBe(LEASE_MS);

    // Well past the lease it was claimed with, the task is still the worker's, on a later deadline.
    await eventually(() => Date.now() > firstDeadline + 1000, LEASE_MS + 5000, 'the first lease running out');
    const during = await taskOf(group.id, added.id);
    expect(during).toMatchObject({ status: 'claimed', claimedBy: 'lease-worker', attempts: 1 });
    expect(Date.parse(during.leaseExpiresAt!)).toBeGreaterThan(firstDeadline);
    expect(await codeOf(groupTasks(other, group.id).claim(added.id))).toBe('TASK_STATE_INVALID');

    finish({ pages: 42 });
    expect(await working).toMatchObject({
      status: 'done',
      claimedBy: 'lease-worker',
      attempts: 1,
      leaseExpiresAt: null,
      result: { pages: 42 },
    });
    await hub.api(`/api/groups/${group.id}/end`, { method: 'POST' });
  });

  it('puts a task its connected claimant never finishes back in the queue, counting the attempt', async () => {
    const [idle, other] = await Promise.all([hub.agent('lease-idle'), hub.agent('lease-next')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['lease-idle', 'lease-next'] })));
    const added = await groupTasks(other, group.id).add('triage the inbox');
    const claimed = await groupTasks(idle, group.id).claim(added.id);
    expect(claimed).toMatchObject({ status: 'claimed', claimedBy: 'lease-idle', attempts: 1 });

    await eventually(
      async () => (await taskOf(group.id, added.id)).status === 'open',
      LEASE_MS + 5000,
      'the lapsed claim back in the queue',
    );
    expect(idle.connected).toBe(true);
    expect(await taskOf(group.id, added.id)).toMatchObject({ status: 'open', claimedBy: null, attempts: 1, leaseExpiresAt: null });
    expect(await codeOf(groupTasks(idle, group.id).complete(added.id, 'too late'))).toBe('TASK_STATE_INVALID');
    expect(await groupTasks(other, group.id).claim(added.id)).toMatchObject({ claimedBy: 'lease-next', attempts: 2 });
    await hub.api(`/api/groups/${group.id}/end`, { method: 'POST' });
  });

  it('tells the handler when its claim is lost, and does not report the work as done', async () => {
    const [worker] = await Promise.all([hub.agent('lease-lost'), hub.agent('lease-peer')]);
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['lease-lost', 'lease-peer'] })));
    const added = await json(await hub.api(`/api/groups/${group.id}/tasks`, post({ title: 'rebuild the index' })));
    let running = false;
    const working = groupTasks(worker, group.id).work(added.id, (_task, { signal }) => {
      running = true;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped: claim lost'))));
    });
    await eventually(() => running, 5000, 'the handler running');
    // An operator settles the task meanwhile: the worker's next extend is refused.
    await hub.api(`/api/groups/${group.id}/tasks/${added.id}/fail`, post({ error: 'cancelled by operator' }));
    expect(await codeOf(working)).toBe('TASK_STATE_INVALID');
    expect(await taskOf(group.id, added.id)).toMatchObject({ status: 'failed', error: 'cancelled by operator' });
    await hub.api(`/api/groups/${group.id}/end`, { method: 'POST' });
  });
});

describe('llm groups against an OpenAI-compatible endpoint', () => {
  let llm: HttpServer;
  let hub: GroupsHub;
  let asked = 0;
  afterEach(() => hub?.close());
  beforeAll(async () => {
    // Always names the last candidate listed in the prompt.
    llm = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        asked++;
        const prompt: string = JSON.parse(raw).messages[1].content;
        const ids = [...prompt.matchAll(/^- (\S+) \(/gm)].map((m) => m[1]);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: ids.at(-1) } }] }));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise((r) => llm.close(r)));

  it('grants the turn the model chooses', async () => {
    hub = await startGroupsHub({
      LLM_URL: `http://127.0.0.1:${(llm.address() as AddressInfo).port}`,
      LLM_MODEL: 'picker',
      LLM_TIMEOUT_MS: '2000',
    });
    const clients = await Promise.all(['l-a', 'l-b', 'l-c'].map((n) => hub.agent(n)));
    const group: Group = await json(await hub.api('/api/groups', post({ members: ['l-a', 'l-b', 'l-c'], strategy: 'llm', maxTurns: 2 })));
    await Promise.all(clients.map((c, i) => joinGroup(c, group.id, () => `from ${i}`)));
    await eventually(async () => (await hub.engine.get(group.id)).status === 'ended', 5000, 'llm group ends');
    const g = await hub.engine.get(group.id);
    expect(g.history.filter((e) => e.outcome === 'granted').map((e) => [e.agentId, e.reason])).toEqual([
      ['l-c', 'llm'],
      ['l-c', 'llm'],
    ]);
    expect(asked).toBe(2);
  });
});
