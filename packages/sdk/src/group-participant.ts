import {
  HubError,
  type Group,
  type GroupEndedEvent,
  type GroupMessageEvent,
  type GroupTask,
  type GroupTaskAction,
  type GroupTurnGrant,
  type Priority,
  type SessionMessage,
  type TaskSummary,
} from '@agent-hub/protocol';
import type { AgentClient } from './agent-client.ts';
import type { CallOptions } from './abort.ts';

export interface GroupTurnContext {
  /** The group as it was when this agent joined (the hub's `group:update` feed is for operators). */
  group: Group;
  /** The shared context so far, oldest first: the session's history plus every message since. */
  messages: readonly SessionMessage[];
}

/**
 * Returns what the agent says this turn; `{ content, priority: 'critical' }` may keep the floor
 * past the throttle, `{ content, handoff: agentId }` names the next speaker.
 */
export type TurnHandler = (turn: GroupTurnGrant, context: GroupTurnContext) => Promise<string | TurnAnswer> | string | TurnAnswer;

export interface TurnAnswer {
  content: string;
  priority?: Priority;
  metadata?: Record<string, unknown>;
  /**
   * The agent to speak next. The hub follows it only if that agent may speak now (a healthy
   * member, allowed after this one, not throttled); otherwise the group's strategy chooses, and
   * the next grant's `handoff` in the rotation history says why.
   */
  handoff?: string;
}

export interface GroupParticipant {
  readonly groupId: string;
  readonly group: Group;
  readonly messages: readonly SessionMessage[];
  /** Resolves with the reason when the group ends (or 'left' after `leave()`). */
  readonly ended: Promise<string>;
  /** Stops answering turns and gives up the seat (`signal` aborts the wait for the hub's answer). */
  leave(opts?: CallOptions): Promise<void>;
  /** Stops answering turns but keeps the seat (turns then time out and are skipped). */
  stop(): void;
}

export interface JoinOptions extends CallOptions {
  /** A turn handler that throws, or a speak the hub refuses; default: emitted as the client's 'error' if anyone listens. */
  onError?: (err: unknown, turn: GroupTurnGrant) => void;
}

/**
 * Takes a seat in a group and answers each of this agent's turns with `onTurn`'s content
 * (`group:speak`). Listens before joining, so a turn granted meanwhile is not missed, and answers
 * each turn id once even when the hub re-sends it (after a reconnect or a hub restart).
 * `opts.signal` aborts the join (rejects with ABORTED; the hub may have seated the agent already).
 *
 * @example
 * const seat = await joinGroup(client, groupId, (turn, { messages }) => `I have read ${messages.length} messages`);
 * console.log('group ended:', await seat.ended);
 */
export async function joinGroup(
  client: AgentClient,
  groupId: string,
  onTurn: TurnHandler,
  opts: JoinOptions = {},
): Promise<GroupParticipant> {
  const messages: SessionMessage[] = [];
  const answered = new Set<string>();
  let group: Group | null = null;
  let active = true;
  let resolveEnded!: (reason: string) => void;
  const ended = new Promise<string>((resolve) => (resolveEnded = resolve));

  const addMessage = (m: SessionMessage) => {
    if (messages.length === 0 || m.seq > messages[messages.length - 1]!.seq) messages.push(m);
  };
  const report = (err: unknown, turn: GroupTurnGrant) => {
    if (opts.onError) opts.onError(err, turn);
    else if (client.listenerCount('error') > 0) client.emit('error', err);
  };

  const onMessage = (p: GroupMessageEvent) => {
    if (p.groupId === groupId) addMessage(p.message);
  };
  const onEnded = (p: GroupEndedEvent) => {
    if (p.groupId !== groupId) return;
    detach();
    resolveEnded(p.reason);
  };
  const onTurnGranted = (turn: GroupTurnGrant) => {
    if (!active || turn.groupId !== groupId || answered.has(turn.turnId)) return;
    answered.add(turn.turnId);
    void answer(turn);
  };
  // After a reconnect the hub puts us back in the room and re-sends our turn; re-join to refresh the context.
  const onResumed = () => {
    if (active) void join().catch(() => undefined);
  };

  const answer = async (turn: GroupTurnGrant) => {
    try {
      await firstJoin;
      const reply = await onTurn(turn, { group: group!, messages: [...messages] });
      if (!active) return;
      const a: TurnAnswer = typeof reply === 'string' ? { content: reply } : reply;
      const spoken = await client.call('group:speak', { groupId, turnId: turn.turnId, ...a });
      addMessage(spoken.message);
    } catch (err) {
      // A turn that ran out (skipped, paused, ended) while we thought is not an error of ours.
      if (HubError.is(err, 'GROUP_NOT_YOUR_TURN') || HubError.is(err, 'GROUP_ENDED') || HubError.is(err, 'GROUP_PAUSED')) return;
      report(err, turn);
    }
  };
  const join = async (signal?: AbortSignal) => {
    const r = await client.call('group:join', { groupId }, { signal });
    for (const m of r.messages) addMessage(m);
    group = r.group;
  };
  const detach = () => {
    active = false;
    client.off('group:message', onMessage);
    client.off('group:turn', onTurnGranted);
    client.off('group:ended', onEnded);
    client.off('resumed', onResumed);
  };

  client.on('group:message', onMessage);
  client.on('group:turn', onTurnGranted);
  client.on('group:ended', onEnded);
  client.on('resumed', onResumed);
  const firstJoin = join(opts.signal);
  try {
    await firstJoin;
  } catch (err) {
    detach();
    throw err;
  }

  return {
    groupId,
    get group() {
      return group!;
    },
    messages,
    ended,
    stop: detach,
    async leave(leaveOpts?: CallOptions) {
      detach();
      await client.call('group:leave', { groupId }, leaveOpts);
      resolveEnded('left');
    },
  };
}

/** What a task handler gets besides the task: `signal` aborts when the claim is lost (its lease ran out, or it was taken over). */
export interface TaskWork {
  signal: AbortSignal;
}

/** Does the work of a claimed task; its value is the task's result, a throw fails the task. */
export type TaskHandler = (task: GroupTask, work: TaskWork) => Promise<unknown> | unknown;

/** A `group:task` action other than `list`, without the group (`groupTasks` adds it). */
type TaskAction = DistributiveOmit<Exclude<GroupTaskAction, { action: 'list' }>, 'groupId'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Refusals that mean this agent no longer holds the task: stop extending, the claim is gone. */
const CLAIM_GONE = ['TASK_STATE_INVALID', 'FORBIDDEN', 'TASK_NOT_FOUND', 'GROUP_ENDED', 'GROUP_NOT_MEMBER'] as const;

/**
 * The group's task queue from an agent: add, claim, extend, complete, fail, list, and `work` (all
 * of it in one). Each call takes an optional last `{ signal }`: an abort rejects with ABORTED at
 * once (a request already sent may still be carried out by the hub).
 *
 * @example
 * const tasks = groupTasks(client, groupId);
 * const t = await tasks.add('summarize the thread');
 * await tasks.work(t.id, async (task, { signal }) => summarize(task.details, signal));
 */
export function groupTasks(client: AgentClient, groupId: string) {
  // `group:task` answers `list` with the queue and every other action with the one task it touched.
  const act = async (p: TaskAction, opts?: CallOptions) => (await client.call('group:task', { groupId, ...p }, opts)) as GroupTask;
  const tasks = {
    add: (title: string, details?: string, opts?: CallOptions) => act({ action: 'add', title, details }, opts),
    /** Claims an open task; the claim is a lease (`leaseExpiresAt`) that lapses unless extended. */
    claim: (taskId: string, opts?: CallOptions) => act({ action: 'claim', taskId }, opts),
    /** Keeps a claim: the lease runs a full term from now. */
    extend: (taskId: string, opts?: CallOptions) => act({ action: 'extend', taskId }, opts),
    complete: (taskId: string, result?: unknown, opts?: CallOptions) => act({ action: 'complete', taskId, result }, opts),
    fail: (taskId: string, error: string, opts?: CallOptions) => act({ action: 'fail', taskId, error }, opts),
    list: async (opts?: CallOptions) =>
      (await client.call('group:task', { groupId, action: 'list' }, opts)) as { items: GroupTask[]; summary: TaskSummary },

    /**
     * Claims the task, runs `handler`, and completes the task with its value (or fails it with
     * the error it threw), extending the lease every third of its length while the handler runs,
     * so long work is not handed to someone else. If the claim is lost meanwhile, `signal` aborts
     * and `work` rejects with the hub's refusal. Resolves with the finished task. `opts.signal`
     * aborts the claim only; once claimed, the work runs to its end.
     */
    async work(taskId: string, handler: TaskHandler, opts?: CallOptions): Promise<GroupTask> {
      const claimed = await tasks.claim(taskId, opts);
      const lost = new AbortController();
      const stop = keepLease(claimed, () => tasks.extend(taskId), lost);
      try {
        let result: unknown;
        try {
          result = await handler(claimed, { signal: lost.signal });
        } catch (err) {
          if (lost.signal.aborted) throw lost.signal.reason;
          const message = (err instanceof Error ? err.message : String(err)) || 'task handler failed';
          return await tasks.fail(taskId, message.slice(0, 2000));
        }
        if (lost.signal.aborted) throw lost.signal.reason;
        return await tasks.complete(taskId, result);
      } finally {
        stop();
      }
    },
  };
  return tasks;
}

/**
 * Extends a claim every third of its lease until stopped, so two extends may go missing (a
 * reconnect) before it lapses. The lease length comes from the hub's own timestamps, so clock
 * skew between agent and hub does not matter. A refusal that means the claim is gone aborts `lost`.
 */
function keepLease(task: GroupTask, extend: () => Promise<unknown>, lost: AbortController): () => void {
  if (!task.leaseExpiresAt) return () => undefined;
  const every = Math.max(1, (Date.parse(task.leaseExpiresAt) - Date.parse(task.updatedAt)) / 3);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const beat = async () => {
    try {
      await extend();
    } catch (err) {
      if (CLAIM_GONE.some((code) => HubError.is(err, code))) return void lost.abort(err);
      // Anything else (a reconnect, a busy hub) is retried at the next beat.
    }
    if (!stopped) schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void beat(), every);
    timer.unref?.();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
