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

/** An event as the in-process logs (memory, file) keep it: sorted by offset, time in ms. */
export interface EventRowHead {
  event: Pick<HubEvent, 'offset' | 'priority' | 'topic'>;
  tsMs: number;
}

/**
 * The rows of an in-process log (ascending by offset) that answer `q`: a binary search to the
 * first offset after `afterOffset`, then a scan until `limit` matches.
 */
export function readMatchingRows<R extends EventRowHead>(rows: readonly R[], q: EventQuery): R[] {
  const matches = eventQueryMatcher(q);
  const out: R[] = [];
  const start = q.afterOffset === undefined ? 0 : firstAfter(rows, q.afterOffset);
  for (let i = start; i < rows.length && out.length < q.limit; i++) {
    const r = rows[i]!;
    if (matches(r.event, r.tsMs)) out.push(r);
  }
  return out;
}

function firstAfter(rows: readonly EventRowHead[], offset: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.event.offset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
