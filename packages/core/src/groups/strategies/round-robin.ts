import type { SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';

/**
 * The first of `ids` after `previousId` in seat order, wrapping around. A previous holder that no
 * longer has a seat (it left) rotates from the start; ids without a seat come last.
 */
export function nextInRotation(seats: readonly string[], previousId: string | null, ids: readonly string[]): string {
  if (ids.length === 0) throw new Error('nextInRotation needs at least one id');
  const start = previousId === null ? -1 : seats.indexOf(previousId);
  const n = seats.length;
  for (let step = 1; step <= n; step++) {
    const seat = seats[(start + step + n) % n]!;
    if (ids.includes(seat)) return seat;
  }
  return ids[0]!;
}

/** Seats take turns in order; unhealthy seats are not candidates, so the rotation passes them by. */
export class RoundRobinSelector implements SpeakerSelector {
  readonly strategy = 'round-robin' as const;

  select(ctx: SelectionContext): Selection {
    return { agentId: roundRobin(ctx), reason: 'round-robin' };
  }
}

export function roundRobin(ctx: Pick<SelectionContext, 'seats' | 'previousId' | 'candidates'>): string {
  return nextInRotation(
    ctx.seats,
    ctx.previousId,
    ctx.candidates.map((c) => c.id),
  );
}

/**
 * Round-robin among a tied subset: whoever of them waited longest since its last turn, then seat
 * order. (The plain cursor would always favour the same seat after a winner outside the tie.)
 */
export function rotateAmong(ctx: Pick<SelectionContext, 'seats' | 'previousId' | 'lastGranted'>, ids: readonly string[]): string {
  if (ids.length === 1) return ids[0]!;
  const served = (id: string) => ctx.lastGranted[id] ?? 0;
  const longest = Math.min(...ids.map(served));
  return nextInRotation(
    ctx.seats,
    ctx.previousId,
    ids.filter((id) => served(id) === longest),
  );
}
