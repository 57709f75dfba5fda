/**
 * The delay before retry number `failures` (1 = after the first failure) on `schedule`, the last
 * step repeating, spread over ±50% so that nodes that lost the store together do not all retry
 * in the same instant when it returns.
 */
export function jitteredDelay(schedule: readonly number[], failures: number, random: () => number): number {
  const base = schedule[Math.min(Math.max(failures, 1), schedule.length) - 1]!;
  return Math.round(base * (0.5 + random()));
}
