import { HubError, type GroupTask, type TaskStatus, type TaskSummary } from '@agent-hub/protocol';
import type { Actor } from '../sessions/session-service.ts';

/** Bounds the persisted group document. */
export const MAX_TASKS = 500;

/** Which status each action may start from: open → claimed → done | failed. */
const FROM: Record<'claim' | 'complete' | 'fail', TaskStatus[]> = {
  claim: ['open'],
  complete: ['claimed'],
  fail: ['claimed'],
};

/** A group's workflow: pure functions over the task list held in the group state. */
export function addTask(tasks: GroupTask[], id: string, input: { title: string; details?: string }, at: string): GroupTask {
  if (tasks.length >= MAX_TASKS) throw new HubError('VALIDATION_FAILED', `a group holds at most ${MAX_TASKS} tasks`);
  const task: GroupTask = {
    id,
    title: input.title,
    details: input.details ?? null,
    status: 'open',
    claimedBy: null,
    result: null,
    error: null,
    createdAt: at,
    updatedAt: at,
  };
  tasks.push(task);
  return task;
}

export function claimTask(tasks: GroupTask[], taskId: string, agentId: string, at: string): GroupTask {
  const task = transition(tasks, taskId, 'claim');
  task.status = 'claimed';
  task.claimedBy = agentId;
  task.updatedAt = at;
  return task;
}

export function completeTask(tasks: GroupTask[], taskId: string, actor: Actor, result: unknown, at: string): GroupTask {
  const task = transition(tasks, taskId, 'complete');
  mustHold(task, actor);
  task.status = 'done';
  task.result = result ?? null;
  task.updatedAt = at;
  return task;
}

export function failTask(tasks: GroupTask[], taskId: string, actor: Actor, error: string, at: string): GroupTask {
  const task = transition(tasks, taskId, 'fail');
  mustHold(task, actor);
  task.status = 'failed';
  task.error = error;
  task.updatedAt = at;
  return task;
}

export function summarize(tasks: readonly GroupTask[]): TaskSummary {
  const s: TaskSummary = { total: tasks.length, open: 0, claimed: 0, done: 0, failed: 0, complete: false };
  for (const t of tasks) s[t.status]++;
  s.complete = s.total > 0 && s.done + s.failed === s.total;
  return s;
}

/** The replacement of a failed agent inherits its claims. */
export function reassignClaims(tasks: GroupTask[], from: string, to: string): void {
  for (const t of tasks) if (t.claimedBy === from && t.status === 'claimed') t.claimedBy = to;
}

function transition(tasks: GroupTask[], taskId: string, action: keyof typeof FROM): GroupTask {
  const task = tasks.find((t) => t.id === taskId);
  if (!task) throw new HubError('TASK_NOT_FOUND', `no task ${taskId}`);
  if (!FROM[action].includes(task.status)) {
    throw new HubError('TASK_STATE_INVALID', `cannot ${action} a task that is ${task.status}`, { status: task.status, action });
  }
  return task;
}

/** Only the claimant (or an operator) finishes a claimed task. */
function mustHold(task: GroupTask, actor: Actor): void {
  if (actor.kind === 'agent' && task.claimedBy !== actor.id) {
    throw new HubError('FORBIDDEN', `task ${task.id} is claimed by ${task.claimedBy}`);
  }
}
