import {
  HubError,
  type Group,
  type GroupEndedEvent,
  type GroupJoined,
  type GroupMessageEvent,
  type GroupSpoken,
  type GroupTask,
  type GroupTurnGrant,
  type Priority,
  type SessionMessage,
  type TaskSummary,
} from '@agent-hub/protocol';
import type { AgentClient } from './agent-client.ts';

export interface GroupTurnContext {
  /** The group as it was when this agent joined (the hub's `group:update` feed is for operators). */
  group: Group;
  /** The shared context so far, oldest first: the session's history plus every message since. */
  messages: readonly SessionMessage[];
}

/** Returns what the agent says this turn; `{ content, priority: 'critical' }` may keep the floor past the throttle. */
export type TurnHandler = (
  turn: GroupTurnGrant,
  context: GroupTurnContext,
) => Promise<string | TurnAnswer> | string | TurnAnswer;

export interface TurnAnswer {
  content: string;
  priority?: Priority;
  metadata?: Record<string, unknown>;
}

export interface GroupParticipant {
  readonly groupId: string;
  readonly group: Group;
  readonly messages: readonly SessionMessage[];
  /** Resolves with the reason when the group ends (or 'left' after `leave()`). */
  readonly ended: Promise<string>;
  /** Stops answering turns and gives up the seat. */
  leave(): Promise<void>;
  /** Stops answering turns but keeps the seat (turns then time out and are skipped). */
  stop(): void;
}

export interface JoinOptions {
  /** A turn handler that throws, or a speak the hub refuses; default: emitted as the client's 'error' if anyone listens. */
  onError?: (err: unknown, turn: GroupTurnGrant) => void;
}

/**
 * Takes a seat in a group and answers each of this agent's turns with `onTurn`'s content
 * (`group:speak`). Listens before joining, so a turn granted meanwhile is not missed, and answers
 * each turn id once even when the hub re-sends it (after a reconnect or a hub restart).
 */
export async function joinGroup(client: AgentClient, groupId: string, onTurn: TurnHandler, opts: JoinOptions = {}): Promise<GroupParticipant> {
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
      const spoken = await client.call<GroupSpoken>('group:speak', { groupId, turnId: turn.turnId, ...a });
      addMessage(spoken.message);
    } catch (err) {
      // A turn that ran out (skipped, paused, ended) while we thought is not an error of ours.
      if (HubError.is(err, 'GROUP_NOT_YOUR_TURN') || HubError.is(err, 'GROUP_ENDED') || HubError.is(err, 'GROUP_PAUSED')) return;
      report(err, turn);
    }
  };
  const join = async () => {
    const r = await client.call<GroupJoined>('group:join', { groupId });
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
  const firstJoin = join();
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
    async leave() {
      detach();
      await client.call('group:leave', { groupId });
      resolveEnded('left');
    },
  };
}

/** The group's task queue from an agent: add, claim, complete, fail, list. */
export function groupTasks(client: AgentClient, groupId: string) {
  const call = <T>(p: Record<string, unknown>) => client.call<T>('group:task', { groupId, ...p });
  return {
    add: (title: string, details?: string) => call<GroupTask>({ action: 'add', title, details }),
    claim: (taskId: string) => call<GroupTask>({ action: 'claim', taskId }),
    complete: (taskId: string, result?: unknown) => call<GroupTask>({ action: 'complete', taskId, result }),
    fail: (taskId: string, error: string) => call<GroupTask>({ action: 'fail', taskId, error }),
    list: () => call<{ items: GroupTask[]; summary: TaskSummary }>({ action: 'list' }),
  };
}
