import { randomUUID } from 'node:crypto';
import type { Store } from '@agent-hub/core';
import type { Session } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';
import { byString, iso, message, newSession, rejection, T0 } from './fixtures.ts';

export function describeSessionContract(store: () => Store): void {
  describe('creating and reading sessions', () => {
    it('creates an active session at version 1 with its first messages numbered from 1', async () => {
      const created = await newSession(store(), {
        members: ['alpha', 'beta'],
        metadata: { topic: 'billing', nested: { n: 1 } },
        messages: [message('hello'), message('world', { role: 'user', author: null })],
      });
      expect(created).toMatchObject({
        state: 'active',
        version: 1,
        members: ['alpha', 'beta'],
        metadata: { topic: 'billing', nested: { n: 1 } },
        agentState: {},
        messageCount: 2,
        createdAt: iso(T0),
        updatedAt: iso(T0),
        lastActivityAt: iso(T0),
      });
      expect(await store().sessions.getSession(created.id)).toEqual(created);
      const history = await store().sessions.getMessages(created.id, 0, 10);
      expect(history).toEqual([
        { seq: 1, role: 'agent', author: 'writer', content: 'hello', metadata: {}, createdAt: iso(T0) },
        { seq: 2, role: 'user', author: null, content: 'world', metadata: {}, createdAt: iso(T0) },
      ]);
    });

    it('returns null for a session that does not exist, and no history', async () => {
      expect(await store().sessions.getSession(randomUUID())).toBeNull();
      expect(await store().sessions.getSession('not-a-uuid')).toBeNull();
      expect(await store().sessions.getMessages(randomUUID(), 0, 10)).toEqual([]);
    });

    it('reads history after a given seq, ascending, at most limit messages', async () => {
      const s = await newSession(store(), { messages: ['a', 'b', 'c', 'd', 'e'].map((c) => message(c)) });
      const page = await store().sessions.getMessages(s.id, 1, 2);
      expect(page.map((m) => [m.seq, m.content])).toEqual([
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(await store().sessions.getMessages(s.id, 5, 10)).toEqual([]);
    });
  });

  describe('listing sessions', () => {
    it('lists newest-updated first, ties broken by id, and pages through every session once', async () => {
      const made: Session[] = [];
      // Seven sessions over four distinct update times, so that pages split ties.
      for (let i = 0; i < 7; i++) made.push(await newSession(store(), { at: T0 + Math.floor(i / 2) * 1000 }));
      const expected = [...made].sort((a, b) => byString(b.updatedAt, a.updatedAt) || byString(b.id, a.id)).map((s) => s.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store().sessions.listSessions({}, 3, cursor);
        seen.push(...result.items.map((s) => s.id));
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(seen).toEqual(expected);
    });

    it('ends with a null cursor when the last page is exactly full', async () => {
      for (let i = 0; i < 4; i++) await newSession(store(), { at: T0 + i });
      const first = await store().sessions.listSessions({}, 2);
      expect(first.items).toHaveLength(2);
      const second = await store().sessions.listSessions({}, 2, first.nextCursor!);
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('filters by state and by member', async () => {
      const a = await newSession(store(), { members: ['alpha', 'beta'] });
      const b = await newSession(store(), { members: ['gamma'] });
      await store().sessions.sweepSessions(T0 + 1, 0, T0 + 2);
      const c = await newSession(store(), { members: ['beta'], at: T0 + 5 });
      const ids = async (f: Parameters<Store['sessions']['listSessions']>[0]) =>
        (await store().sessions.listSessions(f, 50)).items.map((s) => s.id).sort();
      expect(await ids({ state: 'idle' })).toEqual([a.id, b.id].sort());
      expect(await ids({ state: 'active' })).toEqual([c.id]);
      expect(await ids({ agent: 'beta' })).toEqual([a.id, c.id].sort());
      expect(await ids({ agent: 'beta', state: 'idle' })).toEqual([a.id]);
      expect(await ids({ agent: 'nobody' })).toEqual([]);
    });

    it('filters by creation and update time, both bounds exclusive', async () => {
      const early = await newSession(store(), { at: T0 });
      const middle = await newSession(store(), { at: T0 + 1000 });
      const late = await newSession(store(), { at: T0 + 2000 });
      await store().sessions.updateSession(early.id, 1, { metadata: { touched: true } }, T0 + 5000);
      const ids = async (f: Parameters<Store['sessions']['listSessions']>[0]) =>
        (await store().sessions.listSessions(f, 50)).items.map((s) => s.id);
      expect(await ids({ createdAfter: T0, createdBefore: T0 + 2000 })).toEqual([middle.id]);
      expect(await ids({ createdAfter: T0 + 999 })).toEqual([late.id, middle.id]);
      expect(await ids({ updatedAfter: T0 + 2000 })).toEqual([early.id]);
      expect(await ids({ updatedBefore: T0 + 2000 })).toEqual([middle.id]);
    });

    it('refuses a crafted cursor with VALIDATION_FAILED, never another error', async () => {
      const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      for (const bad of [enc([1e308, 'x']), enc([0, '\u0000']), enc([1.5, 'a']), enc(['x', 'y']), enc({}), 'not base64 json']) {
        await expect(store().sessions.listSessions({}, 3, bad), bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      // Well-formed but not an id this adapter makes: a page (possibly empty) or VALIDATION_FAILED.
      const odd = await store()
        .sessions.listSessions({}, 3, enc([0, 'not-a-uuid']))
        .then(
          () => 'page',
          (err: { code?: string }) => err.code,
        );
      expect(['page', 'VALIDATION_FAILED']).toContain(odd);
    });

    it('pages a filtered listing with the cursor', async () => {
      for (let i = 0; i < 5; i++) await newSession(store(), { members: ['pager'], at: T0 + i });
      await newSession(store(), { members: ['other'], at: T0 + 10 });
      const first = await store().sessions.listSessions({ agent: 'pager' }, 3);
      const second = await store().sessions.listSessions({ agent: 'pager' }, 3, first.nextCursor!);
      expect([...first.items, ...second.items].map((s) => s.createdAt)).toEqual([4, 3, 2, 1, 0].map((i) => iso(T0 + i)));
      expect(second.nextCursor).toBeNull();
    });

    it('rejects a malformed cursor with VALIDATION_FAILED', async () => {
      await rejection(store().sessions.listSessions({}, 10, 'not a cursor'), 'VALIDATION_FAILED');
    });
  });

  describe('updating sessions', () => {
    it('replaces metadata and members, bumps the version and records the activity', async () => {
      const s = await newSession(store(), { metadata: { a: 1 } });
      const updated = await store().sessions.updateSession(s.id, 1, { metadata: { b: 2 }, members: ['alpha', 'delta'] }, T0 + 500);
      expect(updated).toMatchObject({
        version: 2,
        metadata: { b: 2 },
        members: ['alpha', 'delta'],
        state: 'active',
        updatedAt: iso(T0 + 500),
        lastActivityAt: iso(T0 + 500),
        createdAt: iso(T0),
      });
      expect(await store().sessions.getSession(s.id)).toEqual(updated);
    });

    it('rejects a write based on a stale version and names the current one', async () => {
      const s = await newSession(store());
      await store().sessions.updateSession(s.id, 1, { metadata: { first: true } }, T0 + 1);
      const err = await rejection(
        store().sessions.updateSession(s.id, 1, { metadata: { second: true } }, T0 + 2),
        'SESSION_VERSION_CONFLICT',
      );
      expect(err.details).toEqual({ currentVersion: 2 });
      expect((await store().sessions.getSession(s.id))!.metadata).toEqual({ first: true });
    });

    it('writes without a version check when none is given, still bumping the version', async () => {
      const s = await newSession(store());
      await store().sessions.updateSession(s.id, undefined, { metadata: { x: 1 } }, T0 + 1);
      const again = await store().sessions.updateSession(s.id, undefined, { metadata: { x: 2 } }, T0 + 2);
      expect(again.version).toBe(3);
    });

    it('lets exactly one of two concurrent writers with the same version win', async () => {
      const s = await newSession(store());
      const results = await Promise.allSettled([
        store().sessions.updateSession(s.id, 1, { metadata: { writer: 'one' } }, T0 + 1),
        store().sessions.updateSession(s.id, 1, { metadata: { writer: 'two' } }, T0 + 1),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'SESSION_VERSION_CONFLICT',
        details: { currentVersion: 2 },
      });
      const winner = (won[0] as PromiseFulfilledResult<Session>).value;
      expect(await store().sessions.getSession(s.id)).toEqual(winner);
    });

    it('reports SESSION_NOT_FOUND for a session that does not exist', async () => {
      await rejection(store().sessions.updateSession(randomUUID(), 1, { metadata: {} }, T0), 'SESSION_NOT_FOUND');
      await rejection(store().sessions.updateSession('nope', undefined, { metadata: {} }, T0), 'SESSION_NOT_FOUND');
    });

    it('sets one agent entry in the agent-state map and removes it with null', async () => {
      const s = await newSession(store());
      await store().sessions.updateSession(s.id, 1, { agentState: { agentId: 'alpha', state: { step: 1 } } }, T0 + 1);
      const both = await store().sessions.updateSession(s.id, 2, { agentState: { agentId: 'beta', state: 'thinking' } }, T0 + 2);
      expect(both.agentState).toEqual({ alpha: { step: 1 }, beta: 'thinking' });
      const removed = await store().sessions.updateSession(s.id, 3, { agentState: { agentId: 'alpha', state: null } }, T0 + 3);
      expect(removed.agentState).toEqual({ beta: 'thinking' });
      expect(removed.version).toBe(4);
    });

    it('makes an idle session active again', async () => {
      const s = await newSession(store());
      await store().sessions.sweepSessions(T0 + 1, 0, T0 + 1);
      const revived = await store().sessions.updateSession(s.id, 2, { metadata: { back: true } }, T0 + 9);
      expect(revived).toMatchObject({ state: 'active', version: 3, lastActivityAt: iso(T0 + 9) });
    });

    it('refuses to change an expired session unless the patch sets its state', async () => {
      const s = await newSession(store());
      await store().sessions.sweepSessions(T0 + 1, 0, T0 + 1);
      await store().sessions.sweepSessions(T0 + 1, T0 + 1, T0 + 2);
      expect((await store().sessions.getSession(s.id))!.state).toBe('expired');
      await rejection(store().sessions.updateSession(s.id, 3, { metadata: {} }, T0 + 3), 'SESSION_EXPIRED');
      const revived = await store().sessions.updateSession(s.id, 3, { state: 'active' }, T0 + 4);
      expect(revived).toMatchObject({ state: 'active', version: 4 });
    });
  });
}
