import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.ts';
import {
  AckEvents,
  PRIORITIES,
  PublishEvent,
  patternsMatching,
  readAckEvents,
  readPublishEvent,
  topicMatches,
  topicProblem,
} from './events.ts';

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

describe('readPublishEvent', () => {
  const topics = [
    'a',
    'orders:eu:created',
    'a.b-c_D9:x',
    'x'.repeat(256),
    'x'.repeat(257),
    Array(8).fill('s').join(':'),
    Array(9).fill('s').join(':'),
    '',
    'a::b',
    ':a',
    'a:',
    'a b',
    'a:*',
    'a:#',
    '#',
    '$hub:audit',
    '$hub',
    'ü',
    'a\0',
  ];
  const ids = [undefined, 'e1', timeOrderedId(), 'x'.repeat(64), 'x'.repeat(65), '', 'a.b', 'a b', 7, null];
  const priorities = [undefined, 'low', 'normal', 'high', 'critical', 'urgent', 1, null];
  const retries = [undefined, true, false, 'yes', 0];
  const payloads = [undefined, null, 0, 'text', { a: [1, { b: 2 }] }];

  it("gives PublishEvent's answer for every publish it reads, and reads every plain one", () => {
    let read = 0;
    let n = 0;
    for (const topic of topics)
      for (const id of ids)
        for (const priority of priorities)
          for (const retry of retries) {
            const payload = payloads[n++ % payloads.length];
            const raw: Record<string, unknown> = { topic, payload, extra: 'dropped' };
            if (id !== undefined) raw.id = id;
            if (priority !== undefined) raw.priority = priority;
            if (retry !== undefined) raw.retry = retry;
            const fast = readPublishEvent(raw);
            const zod = PublishEvent.safeParse(raw);
            const plain =
              /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+){0,7}$/.test(topic) &&
              topic.length <= 256 &&
              (id === undefined || (typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id))) &&
              (priority === undefined || PRIORITIES.includes(priority as never)) &&
              (retry === undefined || typeof retry === 'boolean');
            if (plain) {
              expect(zod.success, JSON.stringify(raw).slice(0, 120)).toBe(true);
              expect(fast, JSON.stringify(raw).slice(0, 120)).toEqual(zod.data);
              read++;
            } else expect(fast).toBeUndefined();
          }
    expect(read).toBeGreaterThan(100);
  });

  it('leaves non-objects, and topics it does not vouch for, to PublishEvent', () => {
    for (const raw of [null, 'topic', 3, [{ topic: 'a' }], undefined]) expect(readPublishEvent(raw)).toBeUndefined();
    // `$hub:` topics pass PublishEvent's grammar (the hub answers FORBIDDEN, not a malformed request).
    expect(PublishEvent.safeParse({ topic: '$hub:audit', payload: 1 }).success).toBe(true);
    expect(readPublishEvent({ topic: '$hub:audit', payload: 1 })).toBeUndefined();
  });
});

describe('readAckEvents', () => {
  const offsets = [0, 1, 123_456, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -1, 1.5, NaN, Infinity, '5', null];
  const samples = [
    undefined,
    [],
    [0, 0.5, 17, 3_600_000],
    Array.from({ length: 200 }, (_, i) => i),
    Array.from({ length: 201 }, (_, i) => i),
    [3_600_001],
    [-1],
    [NaN],
    [Infinity],
    ['3'],
    [null],
    'many',
    { 0: 1 },
  ];

  it("gives AckEvents' answer for every ack it reads, and reads every well-formed one", () => {
    let read = 0;
    for (const offset of offsets)
      for (const latencies of samples) {
        const raw: Record<string, unknown> = { offset, extra: 1 };
        if (latencies !== undefined) raw.latencies = latencies;
        const fast = readAckEvents(raw);
        const zod = AckEvents.safeParse(raw);
        const label = `${String(offset)} ${JSON.stringify(latencies)?.slice(0, 40)}`;
        if (zod.success) {
          expect(fast, label).toEqual(zod.data);
          read++;
        } else expect(fast, label).toBeUndefined();
      }
    expect(read).toBe(16);
    for (const raw of [null, [], 'ack', 5]) expect(readAckEvents(raw)).toBeUndefined();
  });
});
