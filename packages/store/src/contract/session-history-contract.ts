import { randomUUID } from 'node:crypto';
import type { Store } from '@agent-hub/core';
import { describe, expect, it } from 'vitest';
import { iso, message, newSession, rejection, T0 } from './fixtures.ts';

export function describeSessionHistoryContract(store: () => Store): void {
  describe('appending messages', () => {
    it('appends after the existing history with consecutive seqs, in order', async () => {
      const s = await newSession(store(), { messages: [message('first')] });
      const result = await store().sessions.appendMessages(
        s.id,
        1,
        [message('second'), message('third', { metadata: { tool: 'search' } })],
        T0 + 100,
      );
      expect(result.session).toMatchObject({ version: 2, messageCount: 3, lastActivityAt: iso(T0 + 100) });
      expect(result.messages).toEqual([
        { seq: 2, role: 'agent', author: 'writer', content: 'second', metadata: {}, createdAt: iso(T0 + 100) },
        {
          seq: 3,
          role: 'agent',
          author: 'writer',
          content: 'third',
          metadata: { tool: 'search' },
          createdAt: iso(T0 + 100),
        },
      ]);
      expect(await store().sessions.getSession(s.id)).toEqual(result.session);
    });

    it('never changes earlier messages', async () => {
      const s = await newSession(store(), { messages: [message('original', { metadata: { k: 1 } })] });
      const before = await store().sessions.getMessages(s.id, 0, 10);
      await store().sessions.appendMessages(s.id, undefined, [message('later')], T0 + 50);
      const after = await store().sessions.getMessages(s.id, 0, 10);
      expect(after[0]).toEqual(before[0]);
      expect(after).toHaveLength(2);
    });

    it('holds a 1,000-message session that reads back in pages', async () => {
      const s = await newSession(store(), { messages: [message('m1')] });
      const batch = Array.from({ length: 999 }, (_, i) => message(`m${i + 2}`));
      const appended = await store().sessions.appendMessages(s.id, 1, batch, T0 + 1);
      expect(appended.session.messageCount).toBe(1000);
      expect(appended.messages.map((m) => m.seq)).toEqual(Array.from({ length: 999 }, (_, i) => i + 2));
      const read: string[] = [];
      for (let after = 0; ;) {
        const page = await store().sessions.getMessages(s.id, after, 300);
        if (page.length === 0) break;
        read.push(...page.map((m) => String(m.content)));
        after = page[page.length - 1]!.seq;
      }
      expect(read).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
    });

    it('rejects an append at a stale version and names the current one', async () => {
      const s = await newSession(store());
      await store().sessions.appendMessages(s.id, 1, [message('one')], T0 + 1);
      const err = await rejection(store().sessions.appendMessages(s.id, 1, [message('two')], T0 + 2), 'SESSION_VERSION_CONFLICT');
      expect(err.details).toEqual({ currentVersion: 2 });
      expect(await store().sessions.getMessages(s.id, 0, 10)).toHaveLength(1);
    });

    it('serialises concurrent appends without reusing a seq', async () => {
      const s = await newSession(store());
      await Promise.all(
        Array.from({ length: 5 }, (_, w) =>
          store().sessions.appendMessages(s.id, undefined, [message(`w${w}-a`), message(`w${w}-b`)], T0 + 1),
        ),
      );
      const history = await store().sessions.getMessages(s.id, 0, 100);
      expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      // Each writer's two messages stay adjacent: an append is one atomic range.
      for (let i = 0; i < 10; i += 2) {
        expect(String(history[i]!.content).replace('-a', '')).toBe(String(history[i + 1]!.content).replace('-b', ''));
      }
      expect(await store().sessions.getSession(s.id)).toMatchObject({ messageCount: 10, version: 6 });
    });

    it('makes an idle session active again', async () => {
      const s = await newSession(store());
      await store().sessions.sweepSessions(T0 + 1, 0, T0 + 1);
      const { session } = await store().sessions.appendMessages(s.id, undefined, [message('back')], T0 + 7);
      expect(session).toMatchObject({ state: 'active', version: 3, lastActivityAt: iso(T0 + 7) });
    });

    it('refuses to append to an expired session', async () => {
      const s = await newSession(store());
      await store().sessions.sweepSessions(T0 + 1, 0, T0 + 1);
      await store().sessions.sweepSessions(T0 + 1, T0 + 1, T0 + 2);
      await rejection(store().sessions.appendMessages(s.id, undefined, [message('late')], T0 + 3), 'SESSION_EXPIRED');
      expect(await store().sessions.getSession(s.id)).toMatchObject({ messageCount: 0, version: 3 });
    });

    it('reports SESSION_NOT_FOUND when appending to a session that does not exist', async () => {
      const append = store().sessions.appendMessages(randomUUID(), undefined, [message('x')], T0);
      await rejection(append, 'SESSION_NOT_FOUND');
    });
  });

  describe('session lifecycle', () => {
    it('idles active sessions with no activity since idleBefore, bumping their version', async () => {
      const quiet = await newSession(store(), { at: T0 });
      const busy = await newSession(store(), { at: T0 + 10_000 });
      const swept = await store().sessions.sweepSessions(T0 + 5000, T0 - 1, T0 + 20_000);
      expect(swept).toEqual({ idled: [quiet.id], expired: [] });
      expect(await store().sessions.getSession(quiet.id)).toMatchObject({
        state: 'idle',
        version: 2,
        updatedAt: iso(T0 + 20_000),
        lastActivityAt: iso(T0),
      });
      expect(await store().sessions.getSession(busy.id)).toMatchObject({ state: 'active', version: 1 });
    });

    it('expires only sessions that were already idle, one step per sweep', async () => {
      const s = await newSession(store(), { at: T0 });
      const first = await store().sessions.sweepSessions(T0 + 100, T0 + 100, T0 + 200);
      expect(first).toEqual({ idled: [s.id], expired: [] });
      const second = await store().sessions.sweepSessions(T0 + 100, T0 + 100, T0 + 300);
      expect(second).toEqual({ idled: [], expired: [s.id] });
      expect(await store().sessions.getSession(s.id)).toMatchObject({ state: 'expired', version: 3 });
      expect(await store().sessions.sweepSessions(T0 + 100, T0 + 100, T0 + 400)).toEqual({ idled: [], expired: [] });
    });

    it('keeps idle sessions whose last activity is recent enough', async () => {
      const s = await newSession(store(), { at: T0 + 1000 });
      await store().sessions.sweepSessions(T0 + 2000, 0, T0 + 2000);
      expect(await store().sessions.sweepSessions(T0 + 2000, T0 + 1000, T0 + 3000)).toEqual({ idled: [], expired: [] });
      expect((await store().sessions.getSession(s.id))!.state).toBe('idle');
    });

    it('purges expired sessions inactive before the cutoff, with their history, and nothing else', async () => {
      const old = await newSession(store(), { at: T0, messages: [message('gone')] });
      const recent = await newSession(store(), { at: T0 + 5000 });
      const active = await newSession(store(), { at: T0 });
      await store().sessions.sweepSessions(T0 + 6000, 0, T0 + 6000);
      await store().sessions.appendMessages(active.id, undefined, [message('alive')], T0 + 6500);
      await store().sessions.sweepSessions(0, T0 + 6000, T0 + 7000);
      expect(await store().sessions.countByState()).toEqual({ active: 1, idle: 0, expired: 2 });
      expect(await store().sessions.purgeExpired(T0 + 1000)).toBe(1);
      expect(await store().sessions.getSession(old.id)).toBeNull();
      expect(await store().sessions.getMessages(old.id, 0, 10)).toEqual([]);
      expect((await store().sessions.getSession(recent.id))!.state).toBe('expired');
      expect(await store().sessions.purgeExpired(T0 + 1000)).toBe(0);
    });

    it('counts sessions in every state, zeros included', async () => {
      expect(await store().sessions.countByState()).toEqual({ active: 0, idle: 0, expired: 0 });
      await newSession(store(), { at: T0 });
      await newSession(store(), { at: T0 + 10 });
      await store().sessions.sweepSessions(T0 + 5, 0, T0 + 20);
      expect(await store().sessions.countByState()).toEqual({ active: 1, idle: 1, expired: 0 });
    });

    it('deletes a session with its history and says whether it existed', async () => {
      const s = await newSession(store(), { messages: [message('x')] });
      expect(await store().sessions.deleteSession(s.id)).toBe(true);
      expect(await store().sessions.getSession(s.id)).toBeNull();
      expect(await store().sessions.getMessages(s.id, 0, 10)).toEqual([]);
      expect(await store().sessions.deleteSession(s.id)).toBe(false);
    });
  });
}
