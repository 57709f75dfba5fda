import { eq, or, sql, type SQL } from 'drizzle-orm';
import { events } from '../schema.ts';
import { parseTopicPattern, type TopicPattern } from '@agent-hub/core/store-kit';
import { escapeLike } from './sql-database.ts';

/** SQL matching the events whose topic matches any of `patterns`; undefined means every topic. */
export function topicCondition(patterns: string[] | undefined): SQL | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const parsed = patterns.map(parseTopicPattern);
  if (parsed.some((p) => p.kind === 'all')) return undefined;
  return or(...parsed.map(patternCondition));
}

function patternCondition(p: TopicPattern): SQL | undefined {
  switch (p.kind) {
    case 'all':
      return undefined;
    case 'exact':
      return eq(events.topic, p.topic);
    case 'many':
      // Segments are never empty, so "prefix:" followed by anything is one or more segments.
      return sql`${events.topic} like ${escapeLike(p.prefix) + ':%'} escape '\\'`;
    case 'one': {
      const prefix = escapeLike(p.prefix);
      const below = sql`${events.topic} like ${prefix + ':%'} escape '\\'`;
      const deeper = sql`${events.topic} like ${prefix + ':%:%'} escape '\\'`;
      return sql`(${below} and not ${deeper})`;
    }
  }
}
