import { HubError, type GroupTask, type TaskStatus, type TaskSummary } from '@agent-hub/protocol';
import type { Actor } from '../sessions/session-service.ts';

/** Bounds the persisted group document. */
export const MAX_TASKS = 500;

/**
 * How long a claim holds unless its holder extends it. Long enough that a worker extending every
 * third of it (the SDK does) survives two lost extends; short enough that an abandoned task is
 * back in the queue within half a minute.
 */
export const TASK_LEASE_DEFAULT_MS = 30_000;

/** Which status each action may start from: open → claimed → done | failed (claimed → open when its lease runs out). */
const FROM: Record<'claim' | 'extend' | 'complete' | 'fail', TaskStatus[]> = {
  claim: ['open'],
  extend: ['claimed'],
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
    attempts: 0,
    leaseExpiresAt: null,
    result: null,
    error: null,
    createdAt: at,
    updatedAt: at,
  };
  tasks.push(task);
  return task;
}

/** `agentId` takes the task until `leaseUntil`, unless it extends the lease before then. */
export function claimTask(tasks: GroupTask[], taskId: string, agentId: string, at: string, leaseUntil: string): GroupTask {
  const task = transition(tasks, taskId, 'claim');
  task.status = 'claimed';
  task.claimedBy = agentId;
  task.attempts += 1;
  task.leaseExpiresAt = leaseUntil;
  task.updatedAt = at;
  return task;
}

/** The claimant is still at it: its lease now runs until `leaseUntil`. */
export function extendLease(tasks: GroupTask[], taskId: string, actor: Actor, at: string, leaseUntil: string): GroupTask {
  const task = transition(tasks, taskId, 'extend');
  mustHold(task, actor);
  task.leaseExpiresAt = leaseUntil;
  task.updatedAt = at;
  return task;
}

export function completeTask(tasks: GroupTask[], taskId: string, actor: Actor, result: unknown, at: string): GroupTask {
  const task = transition(tasks, taskId, 'complete');
  mustHold(task, actor);
  task.status = 'done';
  task.result = result ?? null;
  task.leaseExpiresAt = null;
  task.updatedAt = at;
  return task;
}

export function failTask(tasks: GroupTask[], taskId: string, actor: Actor, error: string, at: string): GroupTask {
  const task = transition(tasks, taskId, 'fail');
  mustHold(task, actor);
  task.status = 'failed';
  task.error = error;
  task.leaseExpiresAt = null;
  task.updatedAt = at;
  return task;
}

/**
 * Puts every claim whose lease has run out by `now` back in the queue (open, unclaimed; its
 * attempts count stays) and returns those tasks. A claim without a deadline (made before leases
 * existed) gets its first one, `leaseUntil`.
 */
export function expireLeases(tasks: GroupTask[], now: number, at: string, leaseUntil: string): GroupTask[] {
  const reopened: GroupTask[] = [];
  for (const t of tasks) {
    if (t.status !== 'claimed') continue;
    if (t.leaseExpiresAt === null) {
      t.leaseExpiresAt = leaseUntil;
      continue;
    }
    if (Date.parse(t.leaseExpiresAt) > now) continue;
    t.status = 'open';
    t.claimedBy = null;
    t.leaseExpiresAt = null;
    t.updatedAt = at;
    reopened.push(t);
  }
  return reopened;
}

/** True when some claim's lease has run out by `now` (it is still marked claimed). */
export function hasLapsed(tasks: readonly GroupTask[], now: number): boolean {
  return tasks.some((t) => t.status === 'claimed' && t.leaseExpiresAt !== null && Date.parse(t.leaseExpiresAt) <= now);
}

/** The earliest lease deadline among claimed tasks (epoch ms), or null when nothing is claimed. */
export function nextLeaseExpiry(tasks: readonly GroupTask[]): number | null {
  let next: number | null = null;
  for (const t of tasks) {
    if (t.status !== 'claimed' || t.leaseExpiresAt === null) continue;
    const at = Date.parse(t.leaseExpiresAt);
    if (next === null || at < next) next = at;
  }
  return next;
}

/** Task lists persisted before leases existed lack `attempts` and `leaseExpiresAt`. */
export function upgradeTasks(tasks: GroupTask[]): void {
  type Stored = Omit<GroupTask, 'attempts' | 'leaseExpiresAt'> & Partial<Pick<GroupTask, 'attempts' | 'leaseExpiresAt'>>;
  for (const t of tasks as Stored[]) {
    t.attempts ??= t.status === 'open' ? 0 : 1;
    t.leaseExpiresAt ??= null;
  }
}

export function summarize(tasks: readonly GroupTask[]): TaskSummary {
  const s: TaskSummary = { total: tasks.length, open: 0, claimed: 0, done: 0, failed: 0, complete: false };
  for (const t of tasks) s[t.status]++;
  s.complete = s.total > 0 && s.done + s.failed === s.total;
  return s;
}

/** The replacement of a failed agent inherits its claims (and their leases). */
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

/** Only the claimant (or an operator) extends or finishes a claimed task. */
function mustHold(task: GroupTask, actor: Actor): void {
  if (actor.kind === 'agent' && task.claimedBy !== actor.id) {
    throw new HubError('FORBIDDEN', `task ${task.id} is claimed by ${task.claimedBy}`);
  }
}
