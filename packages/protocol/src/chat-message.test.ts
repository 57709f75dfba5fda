import { describe, expect, it } from 'vitest';
import { messageText } from './chat-message.ts';
import { AppendMessages, NewMessage } from './sessions.ts';

describe('session messages in the OpenAI chat shape', () => {
  it('still takes the string-only message of clients from before tool calls', () => {
    expect(NewMessage.parse({ content: 'hi' })).toEqual({ role: 'agent', content: 'hi', metadata: {} });
  });

  it('keeps tool calls, tool results, content parts and fields it does not know, as sent', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}', strict: true } }],
      refusal: null,
      x_vendor: { a: [1] },
    };
    expect(NewMessage.parse(call)).toEqual({ ...call, metadata: {} });
    const result = {
      role: 'tool',
      content: [
        { type: 'text', text: '42' },
        { type: 'input_audio', input_audio: { data: 'AA==' } },
      ],
      tool_call_id: 'c1',
      name: 'f',
    };
    expect(NewMessage.parse(result)).toEqual({ ...result, metadata: {} });
  });

  it('refuses null content without tool calls, a tool call without an id, and the fields the hub sets', () => {
    for (const bad of [
      { role: 'assistant', content: null },
      { content: 'x', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { content: 'x', seq: 1 },
      { content: 'x', createdAt: '2030-01-01T00:00:00Z' },
      { content: [{ text: 'no type' }] },
    ]) {
      expect(AppendMessages.safeParse({ messages: [bad] }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('renders a message as one line for transcripts', () => {
    expect(
      messageText({
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
      }),
    ).toBe('→ weather({"city":"Oslo"})');
    expect(messageText({ content: [{ type: 'text', text: 'see' }, { type: 'image_url' }], tool_call_id: 'c1' })).toBe(
      '[result of c1] see [image_url]',
    );
  });
});
