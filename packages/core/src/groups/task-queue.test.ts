import { describe, expect, it } from 'vitest';
import { HubError, type GroupTask } from '@agent-hub/protocol';
import {
  addTask,
  claimTask,
  completeTask,
  expireLeases,
  extendLease,
  failTask,
  hasLapsed,
  nextLeaseExpiry,
  summarize,
  upgradeTasks,
} from './task-queue.ts';

const at = '2026-01-01T00:00:00.000Z';
const until = '2026-01-01T00:00:30.000Z';
const op = { kind: 'operator' } as const;
const agent = (id: string) => ({ kind: 'agent', id }) as const;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof HubError) return err.code;
    throw err;
  }
  throw new Error('expected a HubError');
}

describe('task queue', () => {
  it('moves a task open → claimed → done, keeping who claimed it and the result', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'write tests' }, at);
    expect(tasks[0]).toMatchObject({ status: 'open', claimedBy: null });
    claimTask(tasks, 't1', 'ann', at, until);
    expect(tasks[0]).toMatchObject({ status: 'claimed', claimedBy: 'ann' });
    completeTask(tasks, 't1', agent('ann'), { passed: 12 }, at);
    expect(tasks[0]).toMatchObject({ status: 'done', result: { passed: 12 } });
  });

  it('moves a claimed task to failed with the error', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'deploy' }, at);
    claimTask(tasks, 't1', 'bob', at, until);
    failTask(tasks, 't1', agent('bob'), 'cluster unreachable', at);
    expect(tasks[0]).toMatchObject({ status: 'failed', error: 'cluster unreachable' });
  });

  it('refuses invalid transitions with TASK_STATE_INVALID', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'x' }, at);
    expect(codeOf(() => completeTask(tasks, 't1', op, null, at))).toBe('TASK_STATE_INVALID');
    expect(codeOf(() => failTask(tasks, 't1', op, 'no', at))).toBe('TASK_STATE_INVALID');
    claimTask(tasks, 't1', 'ann', at, until);
    expect(codeOf(() => claimTask(tasks, 't1', 'bob', at, until))).toBe('TASK_STATE_INVALID');
    completeTask(tasks, 't1', op, null, at);
    expect(codeOf(() => claimTask(tasks, 't1', 'bob', at, until))).toBe('TASK_STATE_INVALID');
    expect(codeOf(() => failTask(tasks, 't1', op, 'late', at))).toBe('TASK_STATE_INVALID');
  });

  it('refuses unknown tasks with TASK_NOT_FOUND', () => {
    expect(codeOf(() => claimTask([], 'nope', 'ann', at, until))).toBe('TASK_NOT_FOUND');
  });

  it('lets only the claimant or an operator finish a claimed task', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'x' }, at);
    claimTask(tasks, 't1', 'ann', at, until);
    expect(codeOf(() => completeTask(tasks, 't1', agent('bob'), null, at))).toBe('FORBIDDEN');
    completeTask(tasks, 't1', op, 'done by operator', at);
    expect(tasks[0]!.status).toBe('done');
  });

  it('reports completion once every task is done or failed', () => {
    const tasks: GroupTask[] = [];
    expect(summarize(tasks).complete).toBe(false);
    addTask(tasks, 'a', { title: 'a' }, at);
    addTask(tasks, 'b', { title: 'b' }, at);
    claimTask(tasks, 'a', 'ann', at, until);
    completeTask(tasks, 'a', op, null, at);
    expect(summarize(tasks)).toEqual({ total: 2, open: 1, claimed: 0, done: 1, failed: 0, complete: false });
    claimTask(tasks, 'b', 'bob', at, until);
    failTask(tasks, 'b', op, 'x', at);
    expect(summarize(tasks)).toMatchObject({ done: 1, failed: 1, complete: true });
  });

  it('makes a claim a lease: counted as an attempt, with a deadline the claimant alone may push back', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'long job' }, at);
    expect(tasks[0]).toMatchObject({ attempts: 0, leaseExpiresAt: null });
    claimTask(tasks, 't1', 'ann', at, until);
    expect(tasks[0]).toMatchObject({ status: 'claimed', attempts: 1, leaseExpiresAt: until });
    expect(nextLeaseExpiry(tasks)).toBe(Date.parse(until));
    const later = '2026-01-01T00:00:50.000Z';
    extendLease(tasks, 't1', agent('ann'), '2026-01-01T00:00:20.000Z', later);
    expect(tasks[0]).toMatchObject({ leaseExpiresAt: later, updatedAt: '2026-01-01T00:00:20.000Z' });
    expect(codeOf(() => extendLease(tasks, 't1', agent('bob'), at, later))).toBe('FORBIDDEN');
    completeTask(tasks, 't1', agent('ann'), 'ok', at);
    expect(tasks[0]).toMatchObject({ status: 'done', leaseExpiresAt: null });
    expect(nextLeaseExpiry(tasks)).toBeNull();
    expect(codeOf(() => extendLease(tasks, 't1', agent('ann'), at, later))).toBe('TASK_STATE_INVALID');
  });

  it('puts a claim whose lease ran out back in the queue, keeping its attempts count', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 'a', { title: 'a' }, at);
    addTask(tasks, 'b', { title: 'b' }, at);
    claimTask(tasks, 'a', 'ann', at, until);
    claimTask(tasks, 'b', 'bob', at, '2026-01-01T00:01:00.000Z');
    const justBefore = Date.parse(until) - 1;
    expect(hasLapsed(tasks, justBefore)).toBe(false);
    expect(expireLeases(tasks, justBefore, at, until)).toEqual([]);
    expect(hasLapsed(tasks, Date.parse(until))).toBe(true);
    const reopened = expireLeases(tasks, Date.parse(until), until, until);
    expect(reopened.map((t) => t.id)).toEqual(['a']);
    expect(tasks[0]).toMatchObject({ status: 'open', claimedBy: null, attempts: 1, leaseExpiresAt: null });
    expect(tasks[1]).toMatchObject({ status: 'claimed', claimedBy: 'bob' });
    expect(codeOf(() => completeTask(tasks, 'a', agent('ann'), null, at))).toBe('TASK_STATE_INVALID');
    claimTask(tasks, 'a', 'cy', at, until);
    expect(tasks[0]).toMatchObject({ claimedBy: 'cy', attempts: 2 });
  });

  it('upgrades tasks stored before leases, and gives their claims a first deadline', () => {
    const legacy = [
      { id: 'o', title: 'o', details: null, status: 'open', claimedBy: null, result: null, error: null, createdAt: at, updatedAt: at },
      { id: 'c', title: 'c', details: null, status: 'claimed', claimedBy: 'ann', result: null, error: null, createdAt: at, updatedAt: at },
    ] as unknown as GroupTask[];
    upgradeTasks(legacy);
    expect(legacy.map((t) => [t.attempts, t.leaseExpiresAt])).toEqual([
      [0, null],
      [1, null],
    ]);
    expect(expireLeases(legacy, Date.parse(at), at, until)).toEqual([]);
    expect(legacy[1]!.leaseExpiresAt).toBe(until);
  });
});
