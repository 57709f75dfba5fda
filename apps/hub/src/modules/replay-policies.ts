import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ReplayPolicy, TopicPattern, topicMatches, type ReplayPolicy as Policy } from '@agent-hub/protocol';

const PolicyFile = z.object({
  default: ReplayPolicy.optional(),
  topics: z
    .array(z.object({ pattern: TopicPattern, policy: ReplayPolicy.optional(), retentionHours: z.number().positive().optional() }))
    .default([]),
});
export type PolicyFile = z.infer<typeof PolicyFile>;

export interface ReplayPolicies {
  policyFor(pattern: string): Policy;
  /** Per-pattern retention overrides (ms). */
  retention: Record<string, number>;
}

/**
 * Per-topic replay policies and retention from a YAML file:
 *   default: critical-only
 *   topics:
 *     - { pattern: "orders:#", policy: full, retentionHours: 72 }
 * A subscription pattern takes the policy of the first entry that equals it or matches it.
 */
export function loadReplayPolicies(file: string | undefined, fallback: Policy): ReplayPolicies {
  const parsed: PolicyFile = file ? PolicyFile.parse(parse(readFileSync(file, 'utf8')) ?? {}) : { topics: [] };
  const def = parsed.default ?? fallback;
  const retention: Record<string, number> = {};
  for (const t of parsed.topics) if (t.retentionHours) retention[t.pattern] = t.retentionHours * 3600_000;
  return {
    retention,
    policyFor(pattern) {
      const hit = parsed.topics.find((t) => t.pattern === pattern || (!/[*#]$/.test(pattern) && topicMatches(t.pattern, pattern)));
      return hit?.policy ?? def;
    },
  };
}
