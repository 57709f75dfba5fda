import { afterEach, describe, expect, it } from 'vitest';
import { HubError, type GroupTask } from '@agent-hub/protocol';
import { FakeClock } from '../testing/fake-clock.ts';
import { agentInfo, groupHarness, type GroupHarness } from './testing/group-harness.ts';
import { MemoryStore } from '../memory-store/memory-store.ts';

const LEASE_MS = 1000;
const op = { kind: 'operator' } as const;
const agent = (id: string) => ({ kind: 'agent', id }) as const;
const open: GroupHarness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

function node(shared: { store?: MemoryStore; clock?: FakeClock } = {}): GroupHarness {
  const h = groupHarness({ agents: [agentInfo('ann'), agentInfo('bob')], taskLeaseMs: LEASE_MS, ...shared });
  open.push(h);
  return h;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HubError) return err.code;
    throw err;
  }
  throw new Error('expected a HubError');
}

async function taskOf(h: GroupHarness, groupId: string, taskId: string): Promise<GroupTask> {
  return (await h.view(groupId)).tasks.find((t) => t.id === taskId)!;
}

describe('a task claim is a lease', () => {
  it('puts a claim its agent never finishes back in the queue when the lease runs out, counting the attempt', async () => {
    const h = node();
    const g = await h.create({ members: ['ann', 'bob'] });
    const added = await h.engine.addTask(g.id, op, { title: 'index the docs' });
    const claimed = await h.engine.claimTask(g.id, 'ann', added.id);
    expect(claimed).toMatchObject({ status: 'claimed', claimedBy: 'ann', attempts: 1 });
    expect(Date.parse(claimed.leaseExpiresAt!) - h.clock.now()).toBe(LEASE_MS);

    await h.advance(LEASE_MS - 1);
    expect(await taskOf(h, g.id, added.id)).toMatchObject({ status: 'claimed', claimedBy: 'ann' });
    await h.advance(1);
    expect(await taskOf(h, g.id, added.id)).toMatchObject({ status: 'open', claimedBy: null, attempts: 1, leaseExpiresAt: null });
    expect(h.published.map((e) => e.payload)).toContainEqual(
      expect.objectContaining({
        type: 'group',
        event: 'task',
        reason: 'lease expired',
        task: expect.objectContaining({ id: added.id, status: 'open' }),
      }),
    );

    // The former holder cannot finish it any more; another member takes it, a second attempt.
    expect(await codeOf(h.engine.completeTask(g.id, agent('ann'), added.id, 'late'))).toBe('TASK_STATE_INVALID');
    expect(await codeOf(h.engine.extendTask(g.id, 'ann', added.id))).toBe('TASK_STATE_INVALID');
    expect(await h.engine.claimTask(g.id, 'bob', added.id)).toMatchObject({ claimedBy: 'bob', attempts: 2 });
  });

  it('keeps a claim for as long as its holder extends it, long past one lease', async () => {
    const h = node();
    const g = await h.create({ members: ['ann', 'bob'] });
    const added = await h.engine.addTask(g.id, op, { title: 'train the model' });
    await h.engine.claimTask(g.id, 'ann', added.id);
    for (let i = 0; i < 5; i++) {
      await h.advance(LEASE_MS * 0.7);
      const extended = await h.engine.extendTask(g.id, 'ann', added.id);
      expect(Date.parse(extended.leaseExpiresAt!) - h.clock.now()).toBe(LEASE_MS);
    }
    expect(await taskOf(h, g.id, added.id)).toMatchObject({ status: 'claimed', claimedBy: 'ann', attempts: 1 });
    expect(await codeOf(h.engine.extendTask(g.id, 'bob', added.id))).toBe('FORBIDDEN');
    const done = await h.engine.completeTask(g.id, agent('ann'), added.id, { accuracy: 0.93 });
    expect(done).toMatchObject({ status: 'done', attempts: 1, leaseExpiresAt: null, result: { accuracy: 0.93 } });
    await h.advance(LEASE_MS * 2);
    expect((await taskOf(h, g.id, added.id)).status).toBe('done');
  });

  it('persists attempts and leases: a lapsed claim is free again on a node that never armed its timer', async () => {
    const shared = { store: new MemoryStore(), clock: new FakeClock() };
    const first = node(shared);
    const g = await first.create({ members: ['ann', 'bob'] });
    const added = await first.engine.addTask(g.id, op, { title: 'x' });
    await first.engine.claimTask(g.id, 'ann', added.id);
    // The node holding the lease timer dies; the lease runs out while nobody watches.
    await first.close();
    shared.clock.advance(LEASE_MS + 1);

    const second = node(shared);
    expect(await taskOf(second, g.id, added.id)).toMatchObject({ status: 'claimed', claimedBy: 'ann', attempts: 1 });
    expect(await second.engine.claimTask(g.id, 'bob', added.id)).toMatchObject({ status: 'claimed', claimedBy: 'bob', attempts: 2 });
  });

  it('re-arms lease timers on restore', async () => {
    const shared = { store: new MemoryStore(), clock: new FakeClock() };
    const first = node(shared);
    const g = await first.create({ members: ['ann', 'bob'] });
    const added = await first.engine.addTask(g.id, op, { title: 'x' });
    await first.engine.claimTask(g.id, 'ann', added.id);
    await first.close();

    const second = node(shared);
    await second.engine.restore();
    await second.advance(LEASE_MS);
    expect(await taskOf(second, g.id, added.id)).toMatchObject({ status: 'open', attempts: 1 });
  });
});
