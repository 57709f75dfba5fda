import { z } from 'zod';
import { AgentId, JsonObject, Uuid } from './common.ts';
import { Priority } from './events.ts';
import { LIMITS } from './limits.ts';
import type { SessionMessage } from './sessions.ts';

/** How many agents a group seats. Checked by the engine (GROUP_SIZE_INVALID), not by the schema. */
export const GROUP_SIZE = { min: 2, max: 10 } as const;

export const GROUP_STRATEGIES = ['round-robin', 'priority', 'llm', 'capability', 'manual'] as const;
export const GroupStrategy = z.enum(GROUP_STRATEGIES);
export type GroupStrategy = z.infer<typeof GroupStrategy>;

export const GROUP_STATUSES = ['running', 'paused', 'ended'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** Defaults the engine applies to settings a CreateGroup leaves out (docs/groups.md lists them). */
export const GROUP_DEFAULTS = {
  maxTurns: 100,
  turnTimeoutMs: 60_000,
  timeoutMs: 60 * 60_000,
  maxConsecutive: 3,
  cooldownTurns: 1,
  manualWaitMs: 30_000,
} as const;

const ms = (max: number) => z.number().int().min(1).max(max);

/** Names of LLM endpoints configured on the hub (LLM_ENDPOINTS): a plain name, never a URL. */
export const LlmEndpointName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an endpoint name configured on the hub (letters, digits, _ and -), not a URL');

/** Longest selection budget a group may set: a turn waits this long at most for the model. */
export const LLM_BUDGET_MAX_MS = 120_000;

/**
 * The `llm` strategy's per-group choices. Strict: a group names one of the hub's endpoints and
 * cannot bring a URL or a key of its own, so group settings cannot make the hub call anywhere.
 */
export const GroupLlmSettings = z
  .object({
    /** A configured endpoint (default `default`, the one LLM_URL defines). */
    endpoint: LlmEndpointName.optional(),
    /** The model asked (default: the endpoint's `model`). */
    model: z.string().min(1).max(200).optional(),
    /** Replaces the default system instruction; the candidates and transcript are still sent. */
    prompt: z.string().min(1).max(4000).optional(),
    /** Hard budget for one selection (default LLM_TIMEOUT_MS, 100 ms); late answers fall back. */
    budgetMs: ms(LLM_BUDGET_MAX_MS).optional(),
  })
  .strict();
export type GroupLlmSettings = z.infer<typeof GroupLlmSettings>;

export const CreateGroup = z.object({
  /**
   * Seats, in rotation order. Capped at 100 here only to bound the payload: the 2..10 rule is the
   * engine's, so HTTP and sockets both get the typed GROUP_SIZE_INVALID rather than a schema error.
   */
  members: z.array(AgentId).max(100),
  strategy: GroupStrategy.default('round-robin'),
  /** The group ends after this many spoken turns. */
  maxTurns: z.number().int().min(1).max(100_000).optional(),
  /** A message containing this word (whole word, any case) ends the group. */
  stopWord: z.string().min(1).max(100).optional(),
  /** A speaker silent for this long is skipped. */
  turnTimeoutMs: ms(24 * 60 * 60_000).optional(),
  /** The whole conversation ends this long after it was created. */
  timeoutMs: ms(7 * 24 * 60 * 60_000).optional(),
  /** Consecutive spoken turns one agent may take before it cools down. */
  maxConsecutive: z.number().int().min(1).max(1000).optional(),
  /** Turns (granted to others) a throttled agent sits out; 0 turns throttling off. */
  cooldownTurns: z.number().int().min(0).max(1000).optional(),
  /** `manual` strategy: how long to wait for an operator's pick before falling back to round-robin. */
  manualWaitMs: ms(24 * 60 * 60_000).optional(),
  /** `{ from: [to, …] }`: who may speak after whom; agents absent as keys are unconstrained. */
  allowedTransitions: z.record(AgentId, z.array(AgentId).max(100)).optional(),
  /** Opening message (role `operator`) put into the shared session before the first turn. */
  prompt: z.string().min(1).max(LIMITS.messageContentMax).optional(),
  /** `llm` strategy: which configured endpoint, model and instruction, and the selection budget. */
  llm: GroupLlmSettings.optional(),
  metadata: JsonObject.default({}),
});
export type CreateGroup = z.input<typeof CreateGroup>;
export type CreateGroupParsed = z.infer<typeof CreateGroup>;

export const GroupListQuery = z.object({
  status: z.enum(GROUP_STATUSES).optional(),
});
export type GroupListQuery = z.infer<typeof GroupListQuery>;

export const ROTATION_OUTCOMES = ['granted', 'spoken', 'skipped', 'throttled'] as const;
export type RotationOutcome = (typeof ROTATION_OUTCOMES)[number];

/** What became of a speaker's handoff (`group:speak {handoff}`), carried by the next grant. */
export interface HandoffVerdict {
  /** The speaker who named the next one. */
  from: string;
  to: string;
  accepted: boolean;
  /** Why it was refused (`bob is zombie`, `bob may not follow ann` …); null when accepted. */
  reason: string | null;
}

/** One turn decision, as kept in the group's rotation history and published on `group:<id>`. */
export interface RotationEntry {
  turn: number;
  agentId: string;
  outcome: RotationOutcome;
  reason: string | null;
  at: string;
  /** On the grant after a speaker named a successor: whether the hub followed it, and why not. */
  handoff?: HandoffVerdict;
}

export const TASK_STATUSES = ['open', 'claimed', 'done', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface GroupTask {
  id: string;
  title: string;
  details: string | null;
  status: TaskStatus;
  claimedBy: string | null;
  /** Claims so far: a claim whose lease ran out puts the task back in the queue, and the next claim counts again. */
  attempts: number;
  /**
   * While claimed: when the claim lapses unless its holder extends it (`extend`), like a queue's
   * visibility timeout. The lease length is `leaseExpiresAt - updatedAt` (both hub clock).
   */
  leaseExpiresAt: string | null;
  result: unknown;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TaskSummary {
  total: number;
  open: number;
  claimed: number;
  done: number;
  failed: number;
  /** Every task is done or failed (and there is at least one). */
  complete: boolean;
}

export interface GroupSettings {
  maxTurns: number;
  stopWord: string | null;
  turnTimeoutMs: number;
  timeoutMs: number;
  maxConsecutive: number;
  cooldownTurns: number;
  manualWaitMs: number;
  allowedTransitions: Record<string, string[]> | null;
  /** `llm` strategy choices (endpoint name, model, prompt, budgetMs); null = the hub's defaults. */
  llm: GroupLlmSettings | null;
}

export interface GroupTurn {
  agentId: string;
  turnId: string;
  turn: number;
  grantedAt: string;
  deadlineAt: string | null;
}

/** The group as operators see it (HTTP bodies and the `group:update` feed). */
export interface Group {
  id: string;
  sessionId: string;
  status: GroupStatus;
  strategy: GroupStrategy;
  members: string[];
  settings: GroupSettings;
  /** Turns granted so far (the `turn` of the latest grant). */
  turn: number;
  /** Turns in which the speaker spoke (what `maxTurns` counts). */
  spokenTurns: number;
  current: GroupTurn | null;
  lastSpeakerId: string | null;
  /** The operator's pick waiting for the next turn boundary. */
  pendingPick: string | null;
  /** Why no turn is outstanding while running (e.g. no eligible speaker), else null. */
  waiting: string | null;
  consecutive: { agentId: string | null; count: number };
  cooldowns: Record<string, number>;
  history: RotationEntry[];
  tasks: GroupTask[];
  taskSummary: TaskSummary;
  endedReason: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  endsAt: string;
  /** KV version of the persisted state. */
  version: number;
}

// Operator (HTTP) bodies.
export const OperatorMessage = z.object({
  content: z.string().min(1).max(LIMITS.messageContentMax),
  author: z.string().max(LIMITS.agentIdMax).optional(),
  metadata: JsonObject.default({}),
});
export type OperatorMessage = z.input<typeof OperatorMessage>;

export const PickSpeaker = z.object({ agentId: AgentId });
export type PickSpeaker = z.infer<typeof PickSpeaker>;

export const EndGroup = z.object({ reason: z.string().min(1).max(200).optional() }).default({});
export type EndGroup = z.input<typeof EndGroup>;

export const AddTask = z.object({
  title: z.string().min(1).max(500),
  details: z.string().max(10_000).optional(),
});
export type AddTask = z.infer<typeof AddTask>;

export const CompleteTask = z.object({ result: z.unknown().optional() }).default({});
export const FailTask = z.object({ error: z.string().min(1).max(2000) });

// Agent (socket) payloads.
export const GroupRef = z.object({ groupId: Uuid });
export type GroupRef = z.infer<typeof GroupRef>;

export const GroupSpeak = z.object({
  groupId: Uuid,
  turnId: z.string().min(1).max(64),
  content: z.string().max(LIMITS.messageContentMax),
  metadata: JsonObject.default({}),
  /** `critical`: the speaker may take the next turn too, even if the throttle would bench it. */
  priority: Priority.default('normal'),
  /**
   * Names the next speaker. Followed only if that agent may speak next (member, healthy, allowed
   * after this speaker, not throttled); otherwise the strategy chooses and the grant says why.
   */
  handoff: AgentId.optional(),
});
export type GroupSpeak = z.input<typeof GroupSpeak>;

/** `group:task` from an agent: one action on the group's task queue. */
export const GroupTaskAction = z.discriminatedUnion('action', [
  z.object({ groupId: Uuid, action: z.literal('add'), title: AddTask.shape.title, details: AddTask.shape.details }),
  z.object({ groupId: Uuid, action: z.literal('claim'), taskId: z.string().min(1).max(64) }),
  /** The claimant is still working on it: the lease runs for another full term from now. */
  z.object({ groupId: Uuid, action: z.literal('extend'), taskId: z.string().min(1).max(64) }),
  z.object({ groupId: Uuid, action: z.literal('complete'), taskId: z.string().min(1).max(64), result: z.unknown().optional() }),
  z.object({ groupId: Uuid, action: z.literal('fail'), taskId: z.string().min(1).max(64), error: FailTask.shape.error }),
  z.object({ groupId: Uuid, action: z.literal('list') }),
]);
export type GroupTaskAction = z.input<typeof GroupTaskAction>;

/** Hub → agent: it is your turn in `groupId`; answer with `group:speak` carrying `turnId`. */
export interface GroupTurnGrant {
  groupId: string;
  turnId: string;
  turn: number;
  deadlineAt: string | null;
}

export interface GroupMessageEvent {
  groupId: string;
  message: SessionMessage;
}

export interface GroupEndedEvent {
  groupId: string;
  reason: string;
}

/** What `group:join` acks: the group and its shared context so far. */
export interface GroupJoined {
  group: Group;
  messages: SessionMessage[];
}

export interface GroupSpoken {
  turn: number;
  message: SessionMessage;
}
