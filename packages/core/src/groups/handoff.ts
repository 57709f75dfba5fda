import type { HandoffVerdict } from '@agent-hub/protocol';
import type { AgentLookup, Eligibility } from './eligibility.ts';
import type { GroupState } from './group-state.ts';

/**
 * Judges the successor the last speaker named against the same filters every strategy works
 * within (membership, health, allowed transitions, throttle). A refusal carries the reason, so
 * the grant the strategy makes instead can say why the handoff was not followed.
 */
export function judgeHandoff(s: GroupState, el: Eligibility, lookup: AgentLookup): HandoffVerdict | null {
  const h = s.handoff;
  if (!h) return null;
  const refuse = (reason: string): HandoffVerdict => ({ from: h.from, to: h.to, accepted: false, reason });
  if (!s.members.includes(h.to)) return refuse(`${h.to} is not a member`);
  const health = lookup(h.to)?.health ?? 'unknown';
  if (health !== 'healthy') return refuse(`${h.to} is ${health}`);
  const allowedNext = s.settings.allowedTransitions?.[h.from];
  if (allowedNext && !allowedNext.includes(h.to)) return refuse(`${h.to} may not follow ${h.from}`);
  const benched = el.throttled.find((t) => t.agentId === h.to);
  if (benched) return refuse(`${h.to} is throttled: ${benched.reason}`);
  // Anyone else left out here (none today) is refused rather than granted past the filters.
  if (!el.candidates.some((c) => c.id === h.to)) return refuse(`${h.to} may not speak next`);
  return { from: h.from, to: h.to, accepted: true, reason: null };
}
