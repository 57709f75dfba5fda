import {
  GROUP_DEFAULTS,
  type CreateGroupParsed,
  type Group,
  type GroupSettings,
  type GroupStatus,
  type GroupStrategy,
  type GroupTask,
  type GroupTurn,
  type RotationEntry,
  type RotationOutcome,
} from '@agent-hub/protocol';
import { summarize } from './task-queue.ts';
import { newThrottle, renameInThrottle, type ThrottleState } from './throttle.ts';

/** Rotation history kept in the group document; the full record is on the event bus. */
export const HISTORY_LIMIT = 200;

/** The outstanding turn, plus the rotation cursor to restore if the turn is withdrawn (pause). */
export interface CurrentTurn extends GroupTurn {
  previousBefore: string | null;
}

/** The whole group as persisted under `group:<id>` (JSON, compare-and-set on its version). */
export interface GroupState {
  id: string;
  sessionId: string;
  status: GroupStatus;
  strategy: GroupStrategy;
  members: string[];
  settings: GroupSettings;
  turn: number;
  spokenTurns: number;
  current: CurrentTurn | null;
  lastSpeakerId: string | null;
  /** Rotation cursor: the last agent granted a turn, whether it spoke or was skipped. */
  previousId: string | null;
  /** The turn number of each member's latest grant (ties go to whoever waited longest). */
  lastGranted: Record<string, number>;
  pendingPick: string | null;
  /** The author of a `critical` message: exempt from the throttle at the next selection. */
  criticalAgentId: string | null;
  /** The successor the last speaker named (`group:speak {handoff}`), judged at the next selection. */
  handoff: { from: string; to: string } | null;
  waiting: string | null;
  throttle: ThrottleState;
  history: RotationEntry[];
  tasks: GroupTask[];
  endedReason: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  endsAt: string;
}

export const groupKey = (id: string) => `group:${id}`;
export const GROUP_KEY_PREFIX = 'group:';

export function settingsOf(input: CreateGroupParsed): GroupSettings {
  return {
    maxTurns: input.maxTurns ?? GROUP_DEFAULTS.maxTurns,
    stopWord: input.stopWord ?? null,
    turnTimeoutMs: input.turnTimeoutMs ?? GROUP_DEFAULTS.turnTimeoutMs,
    timeoutMs: input.timeoutMs ?? GROUP_DEFAULTS.timeoutMs,
    maxConsecutive: input.maxConsecutive ?? GROUP_DEFAULTS.maxConsecutive,
    cooldownTurns: input.cooldownTurns ?? GROUP_DEFAULTS.cooldownTurns,
    manualWaitMs: input.manualWaitMs ?? GROUP_DEFAULTS.manualWaitMs,
    allowedTransitions: input.allowedTransitions ?? null,
    llm: input.llm ?? null,
  };
}

export function newGroupState(p: { id: string; sessionId: string; input: CreateGroupParsed; members: string[]; now: number }): GroupState {
  const settings = settingsOf(p.input);
  const at = new Date(p.now).toISOString();
  return {
    id: p.id,
    sessionId: p.sessionId,
    status: 'running',
    strategy: p.input.strategy,
    members: p.members,
    settings,
    turn: 0,
    spokenTurns: 0,
    current: null,
    lastSpeakerId: null,
    previousId: null,
    lastGranted: {},
    pendingPick: null,
    criticalAgentId: null,
    handoff: null,
    waiting: null,
    throttle: newThrottle(),
    history: [],
    tasks: [],
    endedReason: null,
    metadata: p.input.metadata,
    createdAt: at,
    updatedAt: at,
    endsAt: new Date(p.now + settings.timeoutMs).toISOString(),
  };
}

export function recordDecision(
  s: GroupState,
  agentId: string,
  outcome: RotationOutcome,
  reason: string | null,
  at: string,
  turn = s.turn,
): RotationEntry {
  const entry: RotationEntry = { turn, agentId, outcome, reason, at };
  s.history.push(entry);
  if (s.history.length > HISTORY_LIMIT) s.history.splice(0, s.history.length - HISTORY_LIMIT);
  return entry;
}

/** The replacement takes the seat everywhere it is referenced (order, transitions, throttle, picks). */
export function renameSeat(s: GroupState, from: string, to: string): void {
  const seat = s.members.indexOf(from);
  if (seat >= 0) s.members[seat] = to;
  s.members = [...new Set(s.members)];
  const map = s.settings.allowedTransitions;
  if (map) {
    const renamed: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(map)) renamed[k === from ? to : k] = [...new Set(v.map((x) => (x === from ? to : x)))];
    s.settings.allowedTransitions = renamed;
  }
  renameInThrottle(s.throttle, from, to);
  if (from in s.lastGranted) s.lastGranted[to] = Math.max(s.lastGranted[to] ?? 0, s.lastGranted[from]!);
  delete s.lastGranted[from];
  if (s.previousId === from) s.previousId = to;
  if (s.lastSpeakerId === from) s.lastSpeakerId = to;
  if (s.pendingPick === from) s.pendingPick = to;
  if (s.criticalAgentId === from) s.criticalAgentId = to;
  if (s.handoff?.to === from) s.handoff.to = to;
  if (s.handoff?.from === from) s.handoff.from = to;
}

/** A member leaves: its seat and every reference to it go. */
export function removeSeat(s: GroupState, agentId: string): void {
  s.members = s.members.filter((m) => m !== agentId);
  const map = s.settings.allowedTransitions;
  if (map) {
    delete map[agentId];
    for (const k of Object.keys(map)) map[k] = map[k]!.filter((x) => x !== agentId);
  }
  renameInThrottle(s.throttle, agentId, null);
  delete s.lastGranted[agentId];
  if (s.pendingPick === agentId) s.pendingPick = null;
  if (s.criticalAgentId === agentId) s.criticalAgentId = null;
}

export function toView(s: GroupState, version: number, waiting: string | null = s.waiting): Group {
  const current = s.current
    ? {
        agentId: s.current.agentId,
        turnId: s.current.turnId,
        turn: s.current.turn,
        grantedAt: s.current.grantedAt,
        deadlineAt: s.current.deadlineAt,
      }
    : null;
  return {
    id: s.id,
    sessionId: s.sessionId,
    status: s.status,
    strategy: s.strategy,
    members: [...s.members],
    settings: structuredClone(s.settings),
    turn: s.turn,
    spokenTurns: s.spokenTurns,
    current,
    lastSpeakerId: s.lastSpeakerId,
    pendingPick: s.pendingPick,
    waiting,
    consecutive: { agentId: s.throttle.agentId, count: s.throttle.count },
    cooldowns: { ...s.throttle.cooldowns },
    history: s.history.map((h) => ({ ...h })),
    tasks: structuredClone(s.tasks),
    taskSummary: summarize(s.tasks),
    endedReason: s.endedReason,
    metadata: structuredClone(s.metadata),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    endsAt: s.endsAt,
    version,
  };
}
