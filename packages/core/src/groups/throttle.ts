/**
 * Throttling: an agent may speak at most `maxConsecutive` turns in a row; then it sits out
 * `cooldownTurns` turns granted to others. Kept as plain data inside the persisted group state.
 */
export interface ThrottleState {
  /** The agent of the current run of consecutive spoken turns, and the run's length. */
  agentId: string | null;
  count: number;
  /** Turns each benched agent still sits out. */
  cooldowns: Record<string, number>;
}

export interface ThrottleSettings {
  maxConsecutive: number;
  cooldownTurns: number;
}

export function newThrottle(): ThrottleState {
  return { agentId: null, count: 0, cooldowns: {} };
}

/** Why `agentId` may not take the next turn, or null when it may. */
export function throttledBecause(t: ThrottleState, agentId: string, s: ThrottleSettings): string | null {
  const left = t.cooldowns[agentId];
  if (!left) return null;
  return `cooling down after ${s.maxConsecutive} consecutive turns (${left} turn${left === 1 ? '' : 's'} left)`;
}

/** A turn went to `agentId`: every other benched agent has sat out one more turn. */
export function onGranted(t: ThrottleState, agentId: string): void {
  for (const [id, left] of Object.entries(t.cooldowns)) {
    if (id === agentId) continue;
    if (left <= 1) delete t.cooldowns[id];
    else t.cooldowns[id] = left - 1;
  }
}

/** `agentId` spoke; a run reaching the limit benches it (and the run starts afresh after). */
export function onSpoken(t: ThrottleState, agentId: string, s: ThrottleSettings): void {
  if (t.agentId === agentId) t.count++;
  else {
    t.agentId = agentId;
    t.count = 1;
  }
  if (s.cooldownTurns > 0 && t.count >= s.maxConsecutive) {
    t.cooldowns[agentId] = s.cooldownTurns;
    t.agentId = null;
    t.count = 0;
  }
}

export function renameInThrottle(t: ThrottleState, from: string, to: string | null): void {
  if (t.agentId === from) {
    t.agentId = to;
    if (to === null) t.count = 0;
  }
  const left = t.cooldowns[from];
  delete t.cooldowns[from];
  if (left && to !== null) t.cooldowns[to] = left;
}
