import { messageText } from '@agent-hub/protocol';
import { rotateAmong } from './round-robin.ts';
import type { Candidate, SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';

/**
 * No LLM: the candidate whose declared capabilities best match the words of the last message
 * speaks next; ties (including "nobody matches") take turns. A capability matches when each of
 * its words ("code-review" → code, review) is in the message, plurals folded.
 */
export class CapabilitySelector implements SpeakerSelector {
  readonly strategy = 'capability' as const;

  async select(ctx: SelectionContext): Promise<Selection> {
    const [last] = await ctx.recentMessages(1);
    const words = new Set(wordsOf(last ? messageText(last) : ''));
    // An agent is not addressed by its own words: the author of the last message scores nothing.
    const scored = ctx.candidates.map((c) => ({ id: c.id, score: c.id === last?.author ? 0 : scoreOf(c, words) }));
    const best = Math.max(...scored.map((s) => s.score));
    const tied = scored.filter((s) => s.score === best).map((s) => s.id);
    const agentId = rotateAmong(ctx, tied);
    if (best === 0) return { agentId, reason: 'no capability mentioned (round-robin)' };
    return { agentId, reason: `${best} capabilit${best === 1 ? 'y' : 'ies'} matched${tied.length > 1 ? ' (tie, round-robin)' : ''}` };
  }
}

export function scoreOf(candidate: Pick<Candidate, 'capabilities'>, words: ReadonlySet<string>): number {
  let score = 0;
  for (const cap of candidate.capabilities) {
    const parts = wordsOf(cap);
    if (parts.length > 0 && parts.every((p) => words.has(p))) score++;
  }
  return score;
}

export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map(fold);
}

/** Folds plain plurals ("reviews" → "review") so "review the tests" matches capability "test". */
function fold(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}
