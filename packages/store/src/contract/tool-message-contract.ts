import type { NewMessageRecord, Store } from '@agent-hub/core';
import { describe, expect, it } from 'vitest';
import { iso, newSession, T0 } from './fixtures.ts';

/** An OpenAI-shaped tool-calling exchange, with a field no version of the hub knows. */
export const TOOL_EXCHANGE: NewMessageRecord[] = [
  { id: 'sys', role: 'system', author: null, content: 'You are a weather bot.', metadata: {} },
  {
    id: 'ask',
    role: 'user',
    author: 'user-1',
    content: [
      { type: 'text', text: 'Weather in Paris?' },
      { type: 'image_url', image_url: { url: 'https://example.com/sky.png', detail: 'low' } },
    ],
    fields: { name: 'alice' },
    metadata: {},
  },
  {
    id: 'call',
    role: 'assistant',
    author: 'writer',
    content: null,
    fields: {
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
      refusal: null,
      x_provider: { cache: ['hit', 2], nested: { deep: true } },
    },
    metadata: { model: 'test' },
  },
  {
    id: 'res-1',
    role: 'tool',
    author: 'writer',
    content: '{"temp":21}',
    fields: { tool_call_id: 'call_1', name: 'get_weather' },
    metadata: {},
  },
  {
    id: 'res-2',
    role: 'tool',
    author: 'writer',
    content: [{ type: 'text', text: '12:00' }],
    fields: { tool_call_id: 'call_2' },
    metadata: {},
  },
  { id: 'done', role: 'assistant', author: 'writer', content: 'Sunny, 21 °C at noon.', metadata: {} },
];

/** What a store must hand back for a record stored at `seq`: every field as sent. */
function expected(m: NewMessageRecord, seq: number, at: number) {
  return { ...m.fields, seq, id: m.id, role: m.role, author: m.author, content: m.content, metadata: m.metadata, createdAt: iso(at) };
}

/** Messages in the OpenAI chat shape: tool calls, tool results, content parts, unknown fields. */
export function describeToolMessageContract(store: () => Store): void {
  describe('tool-call messages', () => {
    it('hands back an appended tool-calling exchange deep-equal to what was sent', async () => {
      const s = await newSession(store(), { messages: TOOL_EXCHANGE.slice(0, 2) });
      const appended = await store().sessions.appendMessages(s.id, 1, TOOL_EXCHANGE.slice(2), T0 + 5);
      const want = TOOL_EXCHANGE.map((m, i) => expected(m, i + 1, i < 2 ? T0 : T0 + 5));
      expect(appended.messages).toEqual(want.slice(2));
      expect(await store().sessions.getMessages(s.id, 0, 100)).toEqual(want);
      expect(await store().sessions.getMessages(s.id, 3, 1)).toEqual([want[3]]);
    });

    it('answers a retried tool-call append with the same fields', async () => {
      const s = await newSession(store());
      const first = await store().sessions.appendMessages(s.id, 1, TOOL_EXCHANGE.slice(2, 4), T0 + 1);
      const retry = await store().sessions.appendMessages(s.id, 1, TOOL_EXCHANGE.slice(2, 4), T0 + 2);
      expect(retry.duplicate).toBe(true);
      expect(retry.messages).toEqual(first.messages);
      expect(retry.messages[0]!.tool_calls).toHaveLength(2);
    });

    it('keeps plain string messages exactly as before (no extra fields appear)', async () => {
      const s = await newSession(store(), { messages: [{ role: 'agent', author: 'a', content: 'plain', metadata: {} }] });
      const [m] = await store().sessions.getMessages(s.id, 0, 10);
      expect(m).toEqual({ seq: 1, role: 'agent', author: 'a', content: 'plain', metadata: {}, createdAt: iso(T0) });
      expect(Object.keys(m!).sort()).toEqual(['author', 'content', 'createdAt', 'metadata', 'role', 'seq']);
      void s;
    });
  });
}
