import type { EventQuery, Store } from '@agent-hub/core';
import type { DeadLetter, DeadLetterStatus } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';
import { event, iso, rejection, T0 } from './fixtures.ts';

export function describeEventLogContract(store: () => Store): void {
  const topicsOf = async (q: Partial<EventQuery>) => (await store().events.readEvents({ limit: 1000, ...q })).map((e) => e.topic);

  describe('appending events', () => {
    it('appends a batch and returns the ids that were new', async () => {
      const ids = await store().events.appendEvents([event(1, 'orders:created'), event(2, 'orders:paid')]);
      expect(ids).toEqual(['ev-1', 'ev-2']);
      expect(await store().events.appendEvents([])).toEqual([]);
    });

    it('skips an event whose id is already stored, and a repeat within one batch', async () => {
      await store().events.appendEvents([event(1, 'a')]);
      const ids = await store().events.appendEvents([event(2, 'a', { id: 'ev-1' }), event(3, 'a'), event(4, 'a', { id: 'ev-3' })]);
      expect(ids).toEqual(['ev-3']);
      expect((await store().events.readEvents({ limit: 10 })).map((e) => [e.offset, e.id])).toEqual([
        [1, 'ev-1'],
        [3, 'ev-3'],
      ]);
    });

    it('refuses a batch that reuses a stored offset, and stores none of it', async () => {
      await store().events.appendEvents([event(1, 'a'), event(2, 'a')]);
      await expect(store().events.appendEvents([event(3, 'b'), event(2, 'b', { id: 'ev-clash' })])).rejects.toThrow();
      expect(await store().events.hasEvent('ev-3')).toBe(false);
      expect((await store().events.readEvents({ limit: 10 })).map((e) => e.id)).toEqual(['ev-1', 'ev-2']);
    });

    it('reports the highest offset, 0 when the log is empty', async () => {
      expect(await store().events.maxOffset()).toBe(0);
      await store().events.appendEvents([event(7, 'a'), event(42, 'b'), event(9, 'c')]);
      expect(await store().events.maxOffset()).toBe(42);
    });

    it('tells whether an event id is stored', async () => {
      await store().events.appendEvents([event(1, 'a')]);
      expect(await store().events.hasEvent('ev-1')).toBe(true);
      expect(await store().events.hasEvent('ev-2')).toBe(false);
    });

    it('returns events exactly as appended, payload included', async () => {
      const payloads = [
        '123',
        123,
        'text',
        null,
        [1, 'two', { three: 3 }],
        { deep: { list: [true] }, emoji: '✓' },
        // What a bulk load's text format reads as escapes, separators, NULL or the end of the data.
        'tab\there\nline\r\nback\\slash \\N \\. "quoted"',
        { 'key\twith\\': '\u0000\u001f', nested: ['\\\\', '\n'] },
      ];
      const batch = payloads.map((payload, i) => event(i + 1, 'shapes', { payload, priority: 'high' }));
      await store().events.appendEvents(batch);
      expect(await store().events.readEvents({ limit: 10 })).toEqual(batch);
    });

    it('returns times to the millisecond, before 1970 too', async () => {
      const times = [T0 + 123, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(2262, 3, 11, 23, 47, 16, 854), 1];
      const batch = times.map((at, i) => event(i + 1, 'times', { at }));
      await store().events.appendEvents(batch);
      expect((await store().events.readEvents({ limit: 10 })).map((e) => e.ts)).toEqual(batch.map((e) => e.ts));
    });

    it('returns an event whose id, topic or publisher holds a tab (as an import can store one)', async () => {
      // The protocol refuses such ids and topics; importEvents (the CLI's import) does not check.
      const odd = { ...event(2, 'odd\ttopic', { id: 'ev\t2' }), publisher: 'pub\tlisher' };
      const batch = [event(1, 'plain'), odd, event(3, 'plain')];
      await store().events.appendEvents(batch);
      expect(await store().events.readEvents({ limit: 10 })).toEqual(batch);
      expect(await store().events.readEvents({ afterOffset: 2, limit: 10 })).toEqual([batch[2]]);
    });
  });

  describe('offsets of ids', () => {
    it('returns the offset of every stored id and leaves unknown ids out', async () => {
      await store().events.appendEvents([event(3, 'a'), event(7, 'b'), event(9, 'c')]);
      expect(await store().events.offsetsOf(['ev-9', 'ev-404', 'ev-3'])).toEqual(
        new Map([
          ['ev-9', 9],
          ['ev-3', 3],
        ]),
      );
      expect(await store().events.offsetsOf(['ev-404'])).toEqual(new Map());
    });

    it('answers an empty list with an empty map', async () => {
      await store().events.appendEvents([event(1, 'a')]);
      expect(await store().events.offsetsOf([])).toEqual(new Map());
    });

    it('keeps the first offset of an id appended twice', async () => {
      await store().events.appendEvents([event(1, 'a'), event(2, 'a'), event(3, 'a', { id: 'ev-2' })]);
      await store().events.appendEvents([event(4, 'a', { id: 'ev-1' })]);
      expect(await store().events.offsetsOf(['ev-1', 'ev-2'])).toEqual(
        new Map([
          ['ev-1', 1],
          ['ev-2', 2],
        ]),
      );
    });

    it('forgets the ids that retention deleted', async () => {
      await store().events.appendEvents([event(1, 'a'), event(2, 'b')]);
      await store().events.deleteEventsBefore(T0 + 2000);
      expect(await store().events.offsetsOf(['ev-1', 'ev-2'])).toEqual(new Map([['ev-2', 2]]));
    });

    it('answers a thousand ids at once', async () => {
      const stored = Array.from({ length: 1000 }, (_, i) => event(i + 1, 'bulk'));
      await store().events.appendEvents(stored);
      const asked = Array.from({ length: 1500 }, (_, i) => `ev-${i + 1}`);
      expect(await store().events.offsetsOf(asked)).toEqual(new Map(stored.map((e) => [e.id, e.offset])));
    });
  });

  describe('reading events', () => {
    it('reads ascending by offset after a given offset, up to the limit', async () => {
      await store().events.appendEvents([event(3, 'c'), event(1, 'a'), event(2, 'b'), event(4, 'd')]);
      expect((await store().events.readEvents({ afterOffset: 1, limit: 2 })).map((e) => e.offset)).toEqual([2, 3]);
      expect(await store().events.readEvents({ afterOffset: 4, limit: 10 })).toEqual([]);
    });

    it('reads a time range with from inclusive and to exclusive', async () => {
      await store().events.appendEvents([1, 2, 3, 4].map((n) => event(n, `t${n}`)));
      expect(await topicsOf({ from: T0 + 2000, to: T0 + 4000 })).toEqual(['t2', 't3']);
    });

    it('matches an exact topic only', async () => {
      await store().events.appendEvents([event(1, 'agent:1'), event(2, 'agent:1:state'), event(3, 'agent:10')]);
      expect(await topicsOf({ patterns: ['agent:1'] })).toEqual(['agent:1']);
    });

    it('matches prefix:* against exactly one more segment', async () => {
      await store().events.appendEvents([
        event(1, 'agent'),
        event(2, 'agent:1'),
        event(3, 'agent:1:state'),
        event(4, 'agents:2'),
        event(5, 'orders:agent:3'),
      ]);
      expect(await topicsOf({ patterns: ['agent:*'] })).toEqual(['agent:1']);
      expect(await topicsOf({ patterns: ['agent:1:*'] })).toEqual(['agent:1:state']);
    });

    it('matches prefix:# against one or more segments', async () => {
      await store().events.appendEvents([event(1, 'agent'), event(2, 'agent:1'), event(3, 'agent:1:state'), event(4, 'agents:2')]);
      expect(await topicsOf({ patterns: ['agent:#'] })).toEqual(['agent:1', 'agent:1:state']);
    });

    it('matches every topic with # and with no patterns at all', async () => {
      await store().events.appendEvents([event(1, 'a'), event(2, 'b:c')]);
      expect(await topicsOf({ patterns: ['#'] })).toEqual(['a', 'b:c']);
      expect(await topicsOf({ patterns: ['x', '#'] })).toEqual(['a', 'b:c']);
      expect(await topicsOf({})).toEqual(['a', 'b:c']);
    });

    it('treats _ in a pattern as itself, not as a wildcard', async () => {
      await store().events.appendEvents([
        event(1, 'run_1:done'),
        event(2, 'runX1:done'),
        event(3, 'run_1:step:2'),
        event(4, 'run__1:done'),
      ]);
      expect(await topicsOf({ patterns: ['run_1:*'] })).toEqual(['run_1:done']);
      expect(await topicsOf({ patterns: ['run_1:#'] })).toEqual(['run_1:done', 'run_1:step:2']);
      expect(await topicsOf({ patterns: ['run_1:done'] })).toEqual(['run_1:done']);
    });

    it('matches any of several patterns', async () => {
      await store().events.appendEvents([event(1, 'a:1'), event(2, 'b:1'), event(3, 'c:1'), event(4, 'b:1:x')]);
      expect(await topicsOf({ patterns: ['a:*', 'b:#'] })).toEqual(['a:1', 'b:1', 'b:1:x']);
    });

    it('keeps only events at or above the minimum priority', async () => {
      await store().events.appendEvents([
        event(1, 'low', { priority: 'low' }),
        event(2, 'normal', { priority: 'normal' }),
        event(3, 'high', { priority: 'high' }),
        event(4, 'critical', { priority: 'critical' }),
      ]);
      expect(await topicsOf({ minPriority: 'high' })).toEqual(['high', 'critical']);
      expect(await topicsOf({ minPriority: 'low' })).toHaveLength(4);
    });

    it('combines every filter', async () => {
      await store().events.appendEvents([
        event(1, 'job:a', { priority: 'critical' }),
        event(2, 'job:b', { priority: 'critical' }),
        event(3, 'job:c', { priority: 'low' }),
        event(4, 'job:d', { priority: 'critical' }),
        event(5, 'other', { priority: 'critical' }),
        event(6, 'job:e', { priority: 'critical' }),
      ]);
      expect(await topicsOf({ afterOffset: 1, from: T0, to: T0 + 6000, patterns: ['job:*'], minPriority: 'high', limit: 5 })).toEqual([
        'job:b',
        'job:d',
      ]);
    });

    it('rejects an invalid pattern with TOPIC_INVALID', async () => {
      await rejection(store().events.readEvents({ patterns: ['a:*:b'], limit: 10 }), 'TOPIC_INVALID');
    });
  });

  describe('retention', () => {
    it('deletes every event older than the cutoff', async () => {
      await store().events.appendEvents([1, 2, 3].map((n) => event(n, `t${n}`)));
      expect(await store().events.deleteEventsBefore(T0 + 3000)).toBe(2);
      expect(await topicsOf({})).toEqual(['t3']);
      expect(await store().events.hasEvent('ev-1')).toBe(false);
    });

    it('deletes only older events on topics matching the pattern', async () => {
      await store().events.appendEvents([event(1, 'logs:a'), event(2, 'orders:a'), event(3, 'logs:b:c'), event(4, 'logs:d')]);
      expect(await store().events.deleteEventsBefore(T0 + 3500, 'logs:#')).toBe(2);
      expect(await topicsOf({})).toEqual(['orders:a', 'logs:d']);
      expect(await store().events.maxOffset()).toBe(4);
    });
  });

  describe('subscriber offsets and dead letters', () => {
    it('has no offset for an agent that never acknowledged', async () => {
      expect(await store().events.getAgentOffset('alpha')).toBeNull();
    });

    it('only ever moves an agent offset forward', async () => {
      await store().events.setAgentOffset('alpha', 10);
      await store().events.setAgentOffset('alpha', 4);
      expect(await store().events.getAgentOffset('alpha')).toBe(10);
      await store().events.setAgentOffset('alpha', 12);
      await store().events.setAgentOffset('beta', 1);
      expect(await store().events.getAgentOffset('alpha')).toBe(12);
      expect(await store().events.getAgentOffset('beta')).toBe(1);
    });

    const letter = (n: number, at: number): DeadLetter => ({
      id: `dl-${n}`,
      eventId: `ev-${n}`,
      offset: n,
      topic: 'jobs:run',
      agentId: 'worker',
      attempts: 3,
      error: `failed ${n}`,
      at: iso(at),
      status: 'open',
      resolvedBy: null,
      resolvedAt: null,
    });

    it('keeps dead letters once each and lists them newest first up to the limit', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      await store().events.addDeadLetter(letter(2, T0 + 2000));
      await store().events.addDeadLetter(letter(3, T0 + 1000));
      await store().events.addDeadLetter({ ...letter(1, T0 + 9000), error: 'again' });
      expect(await store().events.listDeadLetters(10)).toEqual([letter(2, T0 + 2000), letter(3, T0 + 1000), letter(1, T0)]);
      expect((await store().events.listDeadLetters(1)).map((d) => d.id)).toEqual(['dl-2']);
    });

    it('keeps the status a letter is added with, and reads one added without any as open', async () => {
      const resolved: DeadLetter = { ...letter(1, T0), status: 'discarded', resolvedBy: 'ops', resolvedAt: iso(T0 + 1) };
      await store().events.addDeadLetter(resolved);
      // A letter as hubs before dead-letter statuses wrote it.
      const { status: _s, resolvedBy: _b, resolvedAt: _a, ...legacy } = letter(2, T0);
      await store().events.addDeadLetter(legacy as DeadLetter);
      expect(await store().events.getDeadLetter('dl-1')).toEqual(resolved);
      expect(await store().events.getDeadLetter('dl-2')).toEqual(letter(2, T0));
    });

    it('gets one dead letter by id, null for an unknown id', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      expect(await store().events.getDeadLetter('dl-1')).toEqual(letter(1, T0));
      expect(await store().events.getDeadLetter('dl-404')).toBeNull();
    });

    it('moves an open dead letter to retried or discarded, recording who and when', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      await store().events.addDeadLetter(letter(2, T0 + 1000));
      const retried = await store().events.setDeadLetterStatus('dl-1', 'open', { status: 'retried', by: 'ops-ann', at: iso(T0 + 5000) });
      expect(retried).toEqual({ ...letter(1, T0), status: 'retried', resolvedBy: 'ops-ann', resolvedAt: iso(T0 + 5000) });
      const discarded = await store().events.setDeadLetterStatus('dl-2', 'open', {
        status: 'discarded',
        by: 'operator',
        at: iso(T0 + 6000),
      });
      expect(discarded.status).toBe('discarded');
      expect(await store().events.getDeadLetter('dl-1')).toEqual(retried);
      expect(await store().events.listDeadLetters(10)).toEqual([discarded, retried]);
    });

    it('refuses a status change from a status the letter is not in, and one for an unknown id', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      await store().events.setDeadLetterStatus('dl-1', 'open', { status: 'retried', by: 'a', at: iso(T0 + 1) });
      const err = await rejection(
        store().events.setDeadLetterStatus('dl-1', 'open', { status: 'discarded', by: 'b', at: iso(T0 + 2) }),
        'DEAD_LETTER_RESOLVED',
      );
      expect(err.details).toEqual({ status: 'retried', resolvedBy: 'a', resolvedAt: iso(T0 + 1) });
      expect((await store().events.getDeadLetter('dl-1'))?.resolvedBy).toBe('a');
      await rejection(
        store().events.setDeadLetterStatus('dl-404', 'open', { status: 'retried', by: 'a', at: iso(T0) }),
        'DEAD_LETTER_NOT_FOUND',
      );
    });

    it('lets exactly one of two concurrent changes from open win', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      const outcomes = await Promise.allSettled([
        store().events.setDeadLetterStatus('dl-1', 'open', { status: 'retried', by: 'a', at: iso(T0 + 1) }),
        store().events.setDeadLetterStatus('dl-1', 'open', { status: 'discarded', by: 'b', at: iso(T0 + 1) }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(lost?.reason).toMatchObject({ code: 'DEAD_LETTER_RESOLVED' });
    });

    it('reopens a retried letter (a retry that could not be delivered), clearing who and when', async () => {
      await store().events.addDeadLetter(letter(1, T0));
      await store().events.setDeadLetterStatus('dl-1', 'open', { status: 'retried', by: 'a', at: iso(T0 + 1) });
      expect(await store().events.setDeadLetterStatus('dl-1', 'retried', { status: 'open', by: null, at: null })).toEqual(letter(1, T0));
      expect(await store().events.getDeadLetter('dl-1')).toEqual(letter(1, T0));
    });

    it('lists only the dead letters in the status asked for, newest first', async () => {
      for (let n = 1; n <= 6; n++) await store().events.addDeadLetter(letter(n, T0 + n * 1000));
      await store().events.setDeadLetterStatus('dl-2', 'open', { status: 'retried', by: 'a', at: iso(T0 + 9000) });
      await store().events.setDeadLetterStatus('dl-5', 'open', { status: 'retried', by: 'a', at: iso(T0 + 9000) });
      await store().events.setDeadLetterStatus('dl-3', 'open', { status: 'discarded', by: 'a', at: iso(T0 + 9000) });
      const ids = async (status: DeadLetterStatus, limit = 10) =>
        (await store().events.listDeadLetters(limit, { status })).map((d) => d.id);
      expect(await ids('open')).toEqual(['dl-6', 'dl-4', 'dl-1']);
      expect(await ids('retried')).toEqual(['dl-5', 'dl-2']);
      expect(await ids('discarded')).toEqual(['dl-3']);
      expect(await ids('open', 2)).toEqual(['dl-6', 'dl-4']);
      expect(await store().events.listDeadLetters(10, {})).toHaveLength(6);
    });
  });
}
