import type { HealthTransition } from '@agent-hub/protocol';

/** Transitions kept per agent, and the most the cross-agent timeline returns. */
export const HEALTH_HISTORY = 50;

/**
 * The last health transitions of each agent this node has heard of. Built by the composition
 * root; the health module records into it, the health and agent routes read it.
 */
export class HealthHistory {
  private readonly byAgent = new Map<string, HealthTransition[]>();

  constructor(private readonly limit = HEALTH_HISTORY) {}

  record(t: HealthTransition): void {
    const list = this.byAgent.get(t.agentId) ?? [];
    list.push(t);
    if (list.length > this.limit) list.shift();
    this.byAgent.set(t.agentId, list);
  }

  /** One agent's transitions, oldest first (a copy). */
  of(agentId: string): HealthTransition[] {
    return [...(this.byAgent.get(agentId) ?? [])];
  }

  /** Every agent's transitions, newest first, at most `limit`. */
  recent(limit = this.limit): HealthTransition[] {
    // Oldest first (a stable sort keeps same-millisecond transitions in the order they happened), then reversed.
    return [...this.byAgent.values()]
      .flat()
      .sort((a, b) => a.at.localeCompare(b.at))
      .reverse()
      .slice(0, limit);
  }
}
