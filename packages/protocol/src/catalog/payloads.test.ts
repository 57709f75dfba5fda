import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicProblem } from '../events.ts';
import { jsonSchemas } from './payloads.ts';

const schemas = jsonSchemas((id) => `${id}.json`);

/** What a JSON Schema validator would say about a string, from the keywords the catalogue gives topics. */
function accepts(schema: Record<string, unknown>, value: string): boolean {
  return value.length <= (schema.maxLength as number) && new RegExp(schema.pattern as string, 'u').test(value);
}

// Topic-ish strings: segments of a small alphabet with the separators and wildcards mixed in.
const topics = fc.stringMatching(/^[a-c1_.:*# -]{0,20}$/).chain((s) => fc.constantFrom(s, s.replace(/ /g, '')));

describe('the topic schemas', () => {
  it('accept exactly the topics the hub accepts', () => {
    fc.assert(
      fc.property(topics, (t) => {
        expect(accepts(schemas.Topic!, t)).toBe(topicProblem(t, false) === null);
      }),
      { numRuns: 2000 },
    );
    for (const t of [
      'a:b:c:d:e:f:g:h',
      'a:b:c:d:e:f:g:h:i',
      'x'.repeat(256),
      'x'.repeat(257),
      '$hub:audit',
      '$hub',
      '$hub:#',
      'a:$hub',
      '$hub:a:b:c:d:e:f:g',
      '$hub:a:b:c:d:e:f:g:h',
    ]) {
      expect(accepts(schemas.Topic!, t), t).toBe(topicProblem(t, false) === null);
    }
  });

  it('accept exactly the patterns the hub accepts', () => {
    fc.assert(
      fc.property(topics, (t) => {
        expect(accepts(schemas.TopicPattern!, t)).toBe(topicProblem(t, true) === null);
      }),
      { numRuns: 2000 },
    );
    for (const t of [
      '#',
      '*',
      'a:*',
      'a:#',
      '*:a',
      'a:b:c:d:e:f:g:#',
      'a:b:c:d:e:f:g:h:#',
      '$hub:audit',
      '$hub',
      '$hub:#',
      '$hub:*',
      'a:$hub',
      '$hub:a:b:c:d:e:f:#',
      '$hub:a:b:c:d:e:f:g:#',
      '$hub:a:b:c:d:e:f:g',
      '$hub:a:b:c:d:e:f:g:h',
    ]) {
      expect(accepts(schemas.TopicPattern!, t), t).toBe(topicProblem(t, true) === null);
    }
  });
});
