import type { AgentInfo } from '@agent-hub/protocol';
import type { GroupState } from './group-state.ts';
import type { Candidate } from './strategies/speaker-selector.ts';
import { throttledBecause } from './throttle.ts';

export type AgentLookup = (agentId: string) => AgentInfo | null;

export interface Eligibility {
  /** Who may take the next turn, in seat order. */
  candidates: Candidate[];
  /** Left out by the throttle (recorded as `throttled` decisions with the grant). */
  throttled: Array<{ agentId: string; reason: string }>;
  /** Every allowed candidate was benched, so the throttle stood aside rather than stall the group. */
  throttleWaived: boolean;
  /** Why nobody may speak, when `candidates` is empty. */
  none: string | null;
}

/**
 * The filters every strategy works within, in order: health (only `healthy` members), the
 * allowed-transitions map (from the last speaker), then the throttle.
 */
export function eligibleSpeakers(s: GroupState, lookup: AgentLookup): Eligibility {
  const healthy: Candidate[] = [];
  for (const id of s.members) {
    const info = lookup(id);
    if (info?.health === 'healthy') healthy.push({ id, capabilities: info.capabilities, priority: info.priority });
  }
  if (healthy.length === 0) return empty('no member is healthy');
  const from = s.lastSpeakerId;
  const allowedNext = from !== null ? s.settings.allowedTransitions?.[from] : undefined;
  const allowed = allowedNext ? healthy.filter((c) => allowedNext.includes(c.id)) : healthy;
  if (allowed.length === 0) return empty(`no healthy member may follow ${from}`);
  const throttled: Eligibility['throttled'] = [];
  const free: Candidate[] = [];
  for (const c of allowed) {
    const why = c.id === s.criticalAgentId ? null : throttledBecause(s.throttle, c.id, s.settings);
    if (why) throttled.push({ agentId: c.id, reason: why });
    else free.push(c);
  }
  if (free.length === 0) return { candidates: allowed, throttled: [], throttleWaived: true, none: null };
  return { candidates: free, throttled, throttleWaived: false, none: null };
}

function empty(none: string): Eligibility {
  return { candidates: [], throttled: [], throttleWaived: false, none };
}
