import type { EventQuery } from '../ports/store.ts';
import { PRIORITY_RANK, topicMatches, type HubEvent } from '@agent-hub/protocol';
import { parseTopicPattern } from './topic-pattern.ts';

/** What the matcher looks at of an event; the time comes apart, as each adapter keeps it in ms. */
type EventHead = Pick<HubEvent, 'priority' | 'topic'>;

/**
 * Whether a topic matches any of the patterns (no patterns: every topic). Every pattern is
 * checked here, before any event is read, so a bad one fails with TOPIC_INVALID even on an
 * empty log.
 */
export function topicMatcher(patterns: string[] | undefined): (topic: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  for (const p of patterns) parseTopicPattern(p);
  return (topic) => patterns.some((p) => topicMatches(p, topic));
}

/**
 * Whether one event, at `tsMs`, is inside the query's time window [from, to), at or above its
 * minimum priority and on one of its topics. Position (`afterOffset`) and `limit` are left to
 * the reader, which each adapter walks in its own way.
 */
export function eventQueryMatcher(q: EventQuery): (event: EventHead, tsMs: number) => boolean {
  const matchesTopic = topicMatcher(q.patterns);
  const minRank = q.minPriority === undefined ? 0 : PRIORITY_RANK[q.minPriority];
  return (event, tsMs) => {
    if (q.from !== undefined && tsMs < q.from) return false;
    if (q.to !== undefined && tsMs >= q.to) return false;
    return PRIORITY_RANK[event.priority] >= minRank && matchesTopic(event.topic);
  };
}
