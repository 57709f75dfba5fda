import { afterAll, describe, expect, it } from 'vitest';
import type { NewMessage, SessionMessage } from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import { json, startTestHub, type TestHub } from './support/test-hub.ts';

/** A tool-calling turn as an OpenAI-style framework sends it, with a provider field the hub does not know. */
const EXCHANGE: NewMessage[] = [
  { id: 'm-sys', role: 'system', content: 'You answer with tools.', metadata: {} },
  { id: 'm-user', role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }], name: 'ola', metadata: {} },
  {
    id: 'm-call',
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
    x_trace: { span: 'abc', tokens: [3, 4] },
    metadata: { model: 'fake' },
  },
  { id: 'm-tool', role: 'tool', content: '{"c":-3}', tool_call_id: 'call_a', name: 'weather', metadata: {} },
  { id: 'm-done', role: 'assistant', content: 'Cold: -3 °C.', metadata: {} },
];

/** What the hub adds to a stored message, taken off so the rest can be compared with what was sent. */
function asSent(m: SessionMessage): Record<string, unknown> {
  const { seq: _seq, createdAt: _createdAt, author: _author, ...sent } = m;
  return sent;
}

const pg: TestDatabase | null = await createTestDatabaseOrSkip('tool messages on PostgreSQL');
afterAll(async () => pg?.drop());

const stores: Array<[string, () => Record<string, string>]> = [
  ['memory', () => ({ STORE: 'memory' })],
  ...(pg ? [['postgres', () => ({ STORE: 'postgres', DATABASE_URL: pg.url })] as [string, () => Record<string, string>]] : []),
];

describe.each(stores)('tool-call messages through the hub (%s store)', (_name, env) => {
  let t: TestHub;
  afterAll(() => t?.close());

  it('restores a tool-calling exchange appended with the SDK deep-equal to what was sent', async () => {
    t = await startTestHub(env());
    const agent = await t.agent('tool-user');
    const s = await agent.sessions.create({ messages: EXCHANGE.slice(0, 2) });
    const appended = await agent.sessions.append(s.id, { version: s.version, messages: EXCHANGE.slice(2) });
    expect(appended.messages.map(asSent)).toEqual(EXCHANGE.slice(2));

    const restored = await agent.sessions.get(s.id, true);
    expect(restored.messages.map(asSent)).toEqual(EXCHANGE);
    const overHttp = await json(await t.api(`/api/sessions/${s.id}/messages`));
    expect(overHttp.items.map(asSent)).toEqual(EXCHANGE);
  });

  it("still takes an old client's string-only message and answers it in the old shape", async () => {
    const agent = await t.agent('old-client');
    const s = await agent.sessions.create();
    const res = await t.api(`/api/sessions/${s.id}/messages`, { method: 'POST', body: JSON.stringify({ messages: [{ content: 'hi' }] }) });
    expect(res.status).toBe(201);
    const [m] = (await json(res)).messages;
    expect(Object.keys(m).sort()).toEqual(['author', 'content', 'createdAt', 'id', 'metadata', 'role', 'seq']);
    expect(m).toMatchObject({ role: 'agent', content: 'hi' });
  });

  it('refuses null content without tool calls, and fields the hub assigns', async () => {
    const agent = await t.agent('bad-client');
    const s = await agent.sessions.create();
    for (const bad of [
      { role: 'assistant', content: null },
      { content: 'x', seq: 9 },
      { content: 'x', tool_calls: [{ type: 'function' }] },
    ]) {
      const res = await t.api(`/api/sessions/${s.id}/messages`, { method: 'POST', body: JSON.stringify({ messages: [bad] }) });
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe('VALIDATION_FAILED');
    }
  });
});
