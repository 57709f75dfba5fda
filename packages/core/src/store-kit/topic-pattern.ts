import { HubError, topicProblem } from '@agent-hub/protocol';

/**
 * A subscription pattern taken apart for querying (rules in protocol `topicProblem`):
 * `exact` one topic, `one` = `prefix:*` (exactly one more segment), `many` = `prefix:#`
 * (one or more), `all` = `#`.
 */
export type TopicPattern = { kind: 'all' } | { kind: 'exact'; topic: string } | { kind: 'one' | 'many'; prefix: string };

export function parseTopicPattern(pattern: string): TopicPattern {
  const problem = topicProblem(pattern, true);
  if (problem) throw new HubError('TOPIC_INVALID', `invalid topic pattern: ${problem}`, { pattern });
  if (pattern === '#') return { kind: 'all' };
  if (pattern.endsWith(':#')) return { kind: 'many', prefix: pattern.slice(0, -2) };
  if (pattern.endsWith(':*')) return { kind: 'one', prefix: pattern.slice(0, -2) };
  return { kind: 'exact', topic: pattern };
}
