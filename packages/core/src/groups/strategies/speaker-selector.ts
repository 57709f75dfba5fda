import type { CreateGroupParsed, GroupSettings, GroupStrategy, SessionMessage } from '@agent-hub/protocol';

/** An agent the hub may give the next turn to: a healthy member, allowed by the transitions map. */
export interface Candidate {
  id: string;
  capabilities: readonly string[];
  priority: number;
}

export interface SelectionContext {
  groupId: string;
  /** Every seat, in rotation order. */
  seats: readonly string[];
  /** Who may speak next, in seat order; never empty (the engine waits instead of asking). */
  candidates: readonly Candidate[];
  /** Whoever held the previous turn (spoken or skipped): rotations continue after it. */
  previousId: string | null;
  /** Whoever last spoke. */
  lastSpeakerId: string | null;
  /** The turn number of each member's latest grant; absent = never had a turn. */
  lastGranted: Readonly<Record<string, number>>;
  settings: Readonly<GroupSettings>;
  /** The newest messages of the shared session, oldest first (read only by strategies that need them). */
  recentMessages(limit: number): Promise<SessionMessage[]>;
  /** Aborted when the selection is no longer wanted (an operator picked, the group paused or ended). */
  signal: AbortSignal;
}

export interface Selection {
  agentId: string;
  /** Why this agent: recorded with the grant in the rotation history. */
  reason: string;
}

/**
 * Picks who speaks next. Implementations keep no per-group state: everything they need is in the
 * context, which the engine builds from the persisted group, so a restarted hub continues a
 * rotation exactly where it stopped.
 */
export interface SpeakerSelector {
  readonly strategy: GroupStrategy;
  select(ctx: SelectionContext): Selection | Promise<Selection>;
  /** Refuses (HubError) a new group whose settings this selector cannot serve on this hub. */
  checkSettings?(input: CreateGroupParsed): void;
}
