import type { AgentInfo, HealthState, HealthTransition } from '@agent-hub/protocol';

// What needs an operator first: lost agents, then ones at risk, then ones on their way, then the rest.
export const HEALTH_ORDER: readonly HealthState[] = ['failed', 'zombie', 'recovering', 'suspect', 'disconnected', 'connecting', 'healthy'];

export function isProblem(state: HealthState): boolean {
  return state !== 'healthy' && state !== 'connecting';
}

/** Problems first (in HEALTH_ORDER), then by name and id so equal rows keep a stable place. */
export function byProblemThenName(a: AgentInfo, b: AgentInfo): number {
  const rank = HEALTH_ORDER.indexOf(a.health) - HEALTH_ORDER.indexOf(b.health);
  if (rank !== 0) return rank;
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

export function countByHealth(agents: AgentInfo[]): Record<HealthState, number> {
  const counts = Object.fromEntries(HEALTH_ORDER.map((s) => [s, 0])) as Record<HealthState, number>;
  for (const a of agents) counts[a.health] += 1;
  return counts;
}

/**
 * Newest first by `at`. Transitions arrive from REST and the socket in any order, and several can
 * share a millisecond: equal times keep the order of the input, which callers pass newest first
 * (Array.prototype.sort is stable).
 */
export function newestFirst(transitions: HealthTransition[]): HealthTransition[] {
  return [...transitions].sort((a, b) => b.at.localeCompare(a.at));
}

export function transitionKey(t: HealthTransition): string {
  return `${t.agentId}|${t.at}|${t.from}|${t.to}`;
}

/** Union of two lists without repeats (the same transition can come over REST and the socket). */
export function mergeTransitions(a: HealthTransition[], b: HealthTransition[]): HealthTransition[] {
  const seen = new Set<string>();
  const out: HealthTransition[] = [];
  for (const t of [...a, ...b]) {
    const key = transitionKey(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
