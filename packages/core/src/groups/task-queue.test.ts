import { describe, expect, it } from 'vitest';
import { HubError, type GroupTask } from '@agent-hub/protocol';
import { addTask, claimTask, completeTask, failTask, summarize } from './task-queue.ts';

const at = '2026-01-01T00:00:00.000Z';
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
    claimTask(tasks, 't1', 'ann', at);
    expect(tasks[0]).toMatchObject({ status: 'claimed', claimedBy: 'ann' });
    completeTask(tasks, 't1', agent('ann'), { passed: 12 }, at);
    expect(tasks[0]).toMatchObject({ status: 'done', result: { passed: 12 } });
  });

  it('moves a claimed task to failed with the error', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'deploy' }, at);
    claimTask(tasks, 't1', 'bob', at);
    failTask(tasks, 't1', agent('bob'), 'cluster unreachable', at);
    expect(tasks[0]).toMatchObject({ status: 'failed', error: 'cluster unreachable' });
  });

  it('refuses invalid transitions with TASK_STATE_INVALID', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'x' }, at);
    expect(codeOf(() => completeTask(tasks, 't1', op, null, at))).toBe('TASK_STATE_INVALID');
    expect(codeOf(() => failTask(tasks, 't1', op, 'no', at))).toBe('TASK_STATE_INVALID');
    claimTask(tasks, 't1', 'ann', at);
    expect(codeOf(() => claimTask(tasks, 't1', 'bob', at))).toBe('TASK_STATE_INVALID');
    completeTask(tasks, 't1', op, null, at);
    expect(codeOf(() => claimTask(tasks, 't1', 'bob', at))).toBe('TASK_STATE_INVALID');
    expect(codeOf(() => failTask(tasks, 't1', op, 'late', at))).toBe('TASK_STATE_INVALID');
  });

  it('refuses unknown tasks with TASK_NOT_FOUND', () => {
    expect(codeOf(() => claimTask([], 'nope', 'ann', at))).toBe('TASK_NOT_FOUND');
  });

  it('lets only the claimant or an operator finish a claimed task', () => {
    const tasks: GroupTask[] = [];
    addTask(tasks, 't1', { title: 'x' }, at);
    claimTask(tasks, 't1', 'ann', at);
    expect(codeOf(() => completeTask(tasks, 't1', agent('bob'), null, at))).toBe('FORBIDDEN');
    completeTask(tasks, 't1', op, 'done by operator', at);
    expect(tasks[0]!.status).toBe('done');
  });

  it('reports completion once every task is done or failed', () => {
    const tasks: GroupTask[] = [];
    expect(summarize(tasks).complete).toBe(false);
    addTask(tasks, 'a', { title: 'a' }, at);
    addTask(tasks, 'b', { title: 'b' }, at);
    claimTask(tasks, 'a', 'ann', at);
    completeTask(tasks, 'a', op, null, at);
    expect(summarize(tasks)).toEqual({ total: 2, open: 1, claimed: 0, done: 1, failed: 0, complete: false });
    claimTask(tasks, 'b', 'bob', at);
    failTask(tasks, 'b', op, 'x', at);
    expect(summarize(tasks)).toMatchObject({ done: 1, failed: 1, complete: true });
  });
});
