import type { Store } from '@agent-hub/core';
import { describe, expect, it } from 'vitest';
import { iso, message, newSession, rejection, T0 } from './fixtures.ts';

/** Message ids: unique per session, and the idempotency key of a retried append. */
export function describeMessageIdContract(store: () => Store): void {
  describe('message ids', () => {
    it('keeps each message id and reads it back with the history', async () => {
      const s = await newSession(store(), { messages: [message('first', { id: 'm-1' }), message('no id')] });
      const appended = await store().sessions.appendMessages(s.id, 1, [message('second', { id: 'm-2' })], T0 + 1);
      expect(appended.duplicate).toBeFalsy();
      expect(appended.messages).toEqual([
        { seq: 3, id: 'm-2', role: 'agent', author: 'writer', content: 'second', metadata: {}, createdAt: iso(T0 + 1) },
      ]);
      const history = await store().sessions.getMessages(s.id, 0, 10);
      expect(history.map((m) => [m.seq, m.id])).toEqual([
        [1, 'm-1'],
        [2, undefined],
        [3, 'm-2'],
      ]);
    });

    it('answers a retried append with the original result and writes nothing', async () => {
      const s = await newSession(store(), { messages: [message('zero')] });
      const batch = [message('one', { id: 'a' }), message('two', { id: 'b' })];
      const first = await store().sessions.appendMessages(s.id, undefined, batch, T0 + 10);
      const retry = await store().sessions.appendMessages(s.id, undefined, batch, T0 + 20);
      expect(retry.duplicate).toBe(true);
      expect(retry.messages).toEqual(first.messages);
      expect(retry.session).toEqual(first.session);
      expect(await store().sessions.getSession(s.id)).toEqual(first.session);
      expect(await store().sessions.getMessages(s.id, 0, 10)).toHaveLength(3);
    });

    it('answers a retry as the original left the session, though its version has moved on since', async () => {
      const s = await newSession(store());
      const first = await store().sessions.appendMessages(s.id, 1, [message('x', { id: 'x' })], T0 + 1);
      await store().sessions.appendMessages(s.id, undefined, [message('y', { id: 'y' }), message('z')], T0 + 2);
      const now = await store().sessions.updateSession(s.id, 3, { metadata: { later: true } }, T0 + 3);
      // The retry names the version the original was based on: stale now, but it is a retry.
      const retry = await store().sessions.appendMessages(s.id, 1, [message('x', { id: 'x' })], T0 + 4);
      expect(retry.duplicate).toBe(true);
      expect(retry.messages).toEqual(first.messages);
      expect(retry.session).toMatchObject({
        version: 2,
        messageCount: 1,
        updatedAt: iso(T0 + 1),
        lastActivityAt: iso(T0 + 1),
        metadata: { later: true },
      });
      expect(await store().sessions.getSession(s.id)).toEqual(now);
    });

    it('answers a retry with every message of the original, those without ids too', async () => {
      const s = await newSession(store());
      const first = await store().sessions.appendMessages(s.id, undefined, [message('plain'), message('keyed', { id: 'k' })], T0 + 1);
      const retry = await store().sessions.appendMessages(s.id, undefined, [message('keyed', { id: 'k' })], T0 + 2);
      expect(retry.duplicate).toBe(true);
      expect(retry.messages).toEqual(first.messages);
    });

    it('answers a retry to a session that has expired since, instead of refusing it', async () => {
      const s = await newSession(store());
      const first = await store().sessions.appendMessages(s.id, undefined, [message('late', { id: 'late' })], T0 + 1);
      await store().sessions.sweepSessions(T0 + 2, 0, T0 + 3);
      await store().sessions.sweepSessions(T0 + 2, T0 + 2, T0 + 4);
      const retry = await store().sessions.appendMessages(s.id, undefined, [message('late', { id: 'late' })], T0 + 5);
      expect(retry).toMatchObject({ duplicate: true, messages: first.messages, session: { version: 2 } });
      expect(await store().sessions.getSession(s.id)).toMatchObject({ state: 'expired', messageCount: 1 });
    });

    it('refuses ids that are partly taken, or taken by different writes, and writes nothing', async () => {
      const s = await newSession(store());
      await store().sessions.appendMessages(s.id, undefined, [message('a', { id: 'a' })], T0 + 1);
      await store().sessions.appendMessages(s.id, undefined, [message('b', { id: 'b' })], T0 + 2);
      const mixed = [message('a', { id: 'a' }), message('c', { id: 'c' })];
      await rejection(store().sessions.appendMessages(s.id, undefined, mixed, T0 + 3), 'SESSION_MESSAGE_ID_CONFLICT');
      const twoWrites = [message('a', { id: 'a' }), message('b', { id: 'b' })];
      await rejection(store().sessions.appendMessages(s.id, undefined, twoWrites, T0 + 4), 'SESSION_MESSAGE_ID_CONFLICT');
      expect((await store().sessions.getMessages(s.id, 0, 10)).map((m) => m.id)).toEqual(['a', 'b']);
      expect(await store().sessions.getSession(s.id)).toMatchObject({ version: 3, messageCount: 2 });
    });

    it('refuses an id given twice in one write', async () => {
      const s = await newSession(store());
      const twice = [message('one', { id: 'same' }), message('two', { id: 'same' })];
      await rejection(store().sessions.appendMessages(s.id, undefined, twice, T0 + 1), 'VALIDATION_FAILED');
      expect(await store().sessions.getMessages(s.id, 0, 10)).toEqual([]);
    });

    it('keeps ids unique per session: the same id in another session is a new message', async () => {
      const one = await newSession(store());
      const two = await newSession(store());
      await store().sessions.appendMessages(one.id, undefined, [message('here', { id: 'shared' })], T0 + 1);
      const there = await store().sessions.appendMessages(two.id, undefined, [message('there', { id: 'shared' })], T0 + 2);
      expect(there.duplicate).toBeFalsy();
      expect(there.messages.map((m) => m.content)).toEqual(['there']);
    });

    it('lets exactly one of several identical appends sent at once write', async () => {
      const s = await newSession(store());
      const batch = [message('once', { id: 'once-1' }), message('once too', { id: 'once-2' })];
      const results = await Promise.all(Array.from({ length: 5 }, () => store().sessions.appendMessages(s.id, undefined, batch, T0 + 1)));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      for (const r of results) expect(r.messages.map((m) => m.seq)).toEqual([1, 2]);
      expect(await store().sessions.getSession(s.id)).toMatchObject({ version: 2, messageCount: 2 });
    });
  });
}
