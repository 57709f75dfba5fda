import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(() => t.close());

describe('sessions over HTTP', () => {
  it('creates with a time-ordered UUID (v7), reads back with history, and reports 404 for unknown ids', async () => {
    const res = await t.api('/api/sessions', {
      method: 'POST',
      body: JSON.stringify({ members: ['a1'], messages: [{ content: 'hello' }] }),
    });
    expect(res.status).toBe(201);
    const s = await json(res);
    expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const got = await json(await t.api(`/api/sessions/${s.id}`));
    expect(got.messages.map((m: any) => m.content)).toEqual(['hello']);
    const missing = await t.api('/api/sessions/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('SESSION_NOT_FOUND');
  });

  it('refuses a stale If-Match with 409 naming the current version', async () => {
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    const ok = await t.api(`/api/sessions/${s.id}`, {
      method: 'PATCH',
      headers: { 'if-match': `"${s.version}"` },
      body: JSON.stringify({ metadata: { a: 1 } }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe(`"${s.version + 1}"`);
    const stale = await t.api(`/api/sessions/${s.id}`, {
      method: 'PATCH',
      headers: { 'if-match': `"${s.version}"` },
      body: JSON.stringify({ metadata: { a: 2 } }),
    });
    expect(stale.status).toBe(409);
    const body = await json(stale);
    expect(body.error).toMatchObject({ code: 'SESSION_VERSION_CONFLICT', details: { currentVersion: s.version + 1 } });
    expect((await json(await t.api(`/api/sessions/${s.id}`))).metadata).toEqual({ a: 1 });
  });

  it('lists with filters and cursor pagination', async () => {
    for (let i = 0; i < 5; i++) await t.api('/api/sessions', { method: 'POST', body: JSON.stringify({ members: ['pager'] }) });
    const first = await json(await t.api('/api/sessions?agent=pager&limit=2'));
    expect(first.items).toHaveLength(2);
    const second = await json(await t.api(`/api/sessions?agent=pager&limit=2&cursor=${first.nextCursor}`));
    const third = await json(await t.api(`/api/sessions?agent=pager&limit=2&cursor=${second.nextCursor}`));
    const ids = [...first.items, ...second.items, ...third.items].map((s: any) => s.id);
    expect(new Set(ids).size).toBe(5);
    expect(third.nextCursor).toBeNull();
    expect((await json(await t.api('/api/sessions?state=expired&agent=pager'))).items).toEqual([]);
  });

  it('answers a retried append (same message ids) with the original result, whatever the version says now', async () => {
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    const append = (body: unknown) => t.api(`/api/sessions/${s.id}/messages`, { method: 'POST', body: JSON.stringify(body) });
    const once = { version: s.version, messages: [{ id: 'retry-1', content: 'once' }] };
    const first = await json(await append(once));
    await append({ messages: [{ content: 'other' }] });
    const again = await append(once);
    expect(again.status).toBe(201);
    expect(await json(again)).toMatchObject({ duplicate: true, messages: first.messages, session: { version: first.session.version } });
    expect((await json(await t.api(`/api/sessions/${s.id}`))).messages.map((m: any) => m.content)).toEqual(['once', 'other']);
    const twice = await append({
      messages: [
        { id: 'x', content: 'a' },
        { id: 'x', content: 'b' },
      ],
    });
    expect(twice.status).toBe(400);
    expect((await json(twice)).error.code).toBe('VALIDATION_FAILED');
    const mixed = await append({
      messages: [
        { id: 'retry-1', content: 'once' },
        { id: 'new', content: 'new' },
      ],
    });
    expect(mixed.status).toBe(409);
    expect((await json(mixed)).error.code).toBe('SESSION_MESSAGE_ID_CONFLICT');
  });

  it('keeps 1,000-message histories in order', async () => {
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    for (let b = 0; b < 10; b++) {
      const messages = Array.from({ length: 100 }, (_, i) => ({ content: `m${b * 100 + i}` }));
      expect((await t.api(`/api/sessions/${s.id}/messages`, { method: 'POST', body: JSON.stringify({ messages }) })).status).toBe(201);
    }
    const got = await json(await t.api(`/api/sessions/${s.id}`));
    expect(got.messageCount).toBe(1000);
    expect(got.messages.map((m: any) => m.content)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(got.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });
});

describe('sessions over sockets', () => {
  it('lets an agent touch only the sessions it is a member of', async () => {
    const alice = await t.agent('alice-s');
    const bob = await t.agent('bob-s');
    const s = await alice.sessions.create({ metadata: { topic: 'x' } });
    expect(s.members).toEqual(['alice-s']);
    const err = await bob.sessions.append(s.id, { messages: [{ content: 'intrusion' }] }).catch((e: HubError) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('SESSION_NOT_MEMBER');
    const list = await bob.sessions.list();
    expect(list.items.map((x) => x.id)).not.toContain(s.id);
  });

  it('attributes messages to the sending agent and keeps per-agent state', async () => {
    const a = await t.agent('author-1');
    const s = await a.sessions.create();
    const r = await a.sessions.append(s.id, { messages: [{ content: 'mine', author: 'someone-else' } as never] });
    expect(r.messages[0]!.author).toBe('author-1');
    const after = await a.sessions.setState(s.id, { cursor: 3 });
    expect(after.agentState).toEqual({ 'author-1': { cursor: 3 } });
  });

  it('re-sends an append whose answer was lost under the same message ids, and it is stored once', async () => {
    const a = await t.agent('resender-1');
    const s = await a.sessions.create();
    // The first answer is lost on the way back: the hub took the append, the SDK saw a timeout.
    const socket = a.socket as unknown as { timeout(ms: number): { emitWithAck(ev: string, p: unknown): Promise<unknown> } };
    const realTimeout = socket.timeout.bind(socket);
    let lost = 0;
    socket.timeout = (ms) => {
      const real = realTimeout(ms);
      if (lost > 0) return real;
      lost++;
      return {
        async emitWithAck(ev, p) {
          await real.emitWithAck(ev, p);
          throw new Error('operation has timed out');
        },
      };
    };
    const r = await a.sessions.append(s.id, { messages: [{ content: 'said once' }] });
    expect(lost).toBe(1);
    expect(r.duplicate).toBe(true);
    expect(r.messages.map((m) => [m.seq, m.content])).toEqual([[1, 'said once']]);
    // The SDK's id, time-ordered (UUID v7) as protocol.md says.
    expect(r.messages[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await a.sessions.get(s.id)).messages.map((m) => m.content)).toEqual(['said once']);
  });

  it('reports a version conflict to the second of two concurrent writers', async () => {
    const a = await t.agent('racer-1');
    const s = await a.sessions.create();
    const results = await Promise.allSettled([
      a.sessions.update(s.id, { version: s.version, metadata: { w: 1 } }),
      a.sessions.update(s.id, { version: s.version, metadata: { w: 2 } }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason.code).toBe('SESSION_VERSION_CONFLICT');
  });

  it('pushes session changes to the dashboard feed', async () => {
    const { io } = await import('socket.io-client');
    const ops = io(`${t.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true });
    const seen: string[] = [];
    ops.on('session:update', (s: { id: string }) => seen.push(s.id));
    await new Promise<void>((r) => ops.once('connect', () => r()));
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    await eventually(() => seen.includes(s.id));
    ops.close();
  });
});
