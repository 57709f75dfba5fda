import type { GroupStrategy, SessionMessage } from '@agent-hub/protocol';
import type { Logger } from '../ports/logger.ts';
import type { Actor } from '../sessions/session-service.ts';
import type { GroupSessions } from './group-engine.ts';
import type { GroupState } from './group-state.ts';
import { roundRobin } from './strategies/round-robin.ts';
import type { Candidate, Selection, SelectionContext, SpeakerSelector } from './strategies/speaker-selector.ts';

const OPERATOR: Actor = { kind: 'operator' };

/** What a selector sees: a snapshot of the group, and the session's messages only if it asks. */
export function selectionContext(s: GroupState, candidates: Candidate[], signal: AbortSignal, sessions: GroupSessions): SelectionContext {
  let history: Promise<SessionMessage[]> | null = null;
  const sessionId = s.sessionId;
  return {
    groupId: s.id,
    seats: [...s.members],
    candidates,
    previousId: s.previousId,
    lastSpeakerId: s.lastSpeakerId,
    lastGranted: { ...s.lastGranted },
    settings: structuredClone(s.settings),
    recentMessages: async (limit) => {
      history ??= sessions.get(OPERATOR, sessionId, true).then((x) => x.messages);
      return (await history).slice(-limit);
    },
    signal,
  };
}

/** Runs the group's selector; a missing or failing one never stalls the group: round-robin instead. */
export async function runSelector(
  selector: SpeakerSelector | undefined,
  strategy: GroupStrategy,
  ctx: SelectionContext,
  log: Logger,
): Promise<Selection> {
  if (!selector) {
    // A group restored on a hub without this strategy's configuration keeps talking.
    return { agentId: roundRobin(ctx), reason: `strategy ${strategy} not configured here (round-robin)` };
  }
  try {
    return await selector.select(ctx);
  } catch (err) {
    log.warn({ err: String(err), groupId: ctx.groupId, strategy }, 'speaker selection failed; round-robin');
    return { agentId: roundRobin(ctx), reason: `${strategy} failed (round-robin)` };
  }
}
