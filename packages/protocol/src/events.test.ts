import { describe, expect, it } from 'vitest';
import { patternsMatching, topicMatches, topicProblem } from './events.ts';

describe('topic patterns', () => {
  it('"*" matches exactly one trailing segment', () => {
    expect(topicMatches('agent:*', 'agent:42')).toBe(true);
    expect(topicMatches('agent:*', 'agent:42:state')).toBe(false);
    expect(topicMatches('agent:*', 'agent')).toBe(false);
  });

  it('"#" matches one or more trailing segments, and alone matches everything', () => {
    expect(topicMatches('agent:#', 'agent:42')).toBe(true);
    expect(topicMatches('agent:#', 'agent:42:state')).toBe(true);
    expect(topicMatches('agent:#', 'agents:1')).toBe(false);
    expect(topicMatches('#', 'anything:at:all')).toBe(true);
  });

  it('an exact pattern matches only its topic', () => {
    expect(topicMatches('session:1', 'session:1')).toBe(true);
    expect(topicMatches('session:1', 'session:10')).toBe(false);
  });

  it('lists the rooms a topic fans out to', () => {
    expect(new Set(patternsMatching('a:b:c'))).toEqual(new Set(['a:b:c', '#', 'a:#', 'a:b:#', 'a:b:*']));
  });

  it('rejects wildcards in the middle, in published topics, and bad characters', () => {
    expect(topicProblem('a:*:c', true)).toMatch(/last segment/);
    expect(topicProblem('a:*', false)).toMatch(/only allowed in subscriptions/);
    expect(topicProblem('a b', false)).toMatch(/letters/);
    expect(topicProblem('', false)).toMatch(/length/);
    expect(topicProblem('*', true)).toMatch(/lone/);
    expect(topicProblem('a:b_c-d.e', false)).toBeNull();
  });
});
