import type { ReplayPolicy } from './events.ts';

export interface AgentSubscription {
  pattern: string;
  /** The replay policy in force: the one the agent asked for, else the topic's configured one. */
  policy: ReplayPolicy;
}

/**
 * `GET /api/agents/:id/subscriptions`: what a connected agent listens to and how far behind it is.
 * Lag is a count of events in the log matching its patterns above the offset it acked — offsets
 * may have gaps, so it is never a difference of offsets. Counting stops at `limit` (`capped`).
 */
export interface AgentSubscriptions {
  agentId: string;
  connected: boolean;
  /**
   * The node that answered, or the node holding the agent's connection when that is another one:
   * subscriptions live in the connection, so only that node lists them (here: none, lag null).
   */
  node: string;
  subscriptions: AgentSubscription[];
  /** Highest offset the agent reported processed (or where its subscription started); null if unknown. */
  ackedOffset: number | null;
  /** Null while the agent is not connected to the node that answered. */
  lag: { count: number; capped: boolean; limit: number } | null;
}
