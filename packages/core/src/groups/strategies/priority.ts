import { rotateAmong } from './round-robin.ts';
import type { SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';

/** The candidate with the highest declared priority; equal priorities take turns (round-robin). */
export class PrioritySelector implements SpeakerSelector {
  readonly strategy = 'priority' as const;

  select(ctx: SelectionContext): Selection {
    const top = Math.max(...ctx.candidates.map((c) => c.priority));
    const tied = ctx.candidates.filter((c) => c.priority === top).map((c) => c.id);
    const agentId = rotateAmong(ctx, tied);
    return { agentId, reason: tied.length > 1 ? `priority ${top} (tie of ${tied.length}, round-robin)` : `priority ${top}` };
  }
}
