import { z } from 'zod';
import { LIMITS } from './limits.ts';

/**
 * The OpenAI chat-message fields a session message carries beside the hub's own (`id`, `author`,
 * `metadata`): content as a string, null (an assistant turn that only calls tools) or an array of
 * parts, `tool_calls`, `tool_call_id` and `name`. Objects are loose: a field the hub does not know
 * (a part type, a provider extension) is kept and handed back as sent.
 */
export const ContentPart = z.looseObject({
  type: z.string().min(1).max(64),
  text: z.string().max(LIMITS.messageContentMax).optional(),
});
export type ContentPart = z.infer<typeof ContentPart>;

export const MessageContent = z.union([z.string().max(LIMITS.messageContentMax), z.null(), z.array(ContentPart).max(256)]);
export type MessageContent = z.infer<typeof MessageContent>;

export const ToolCall = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.string().min(1).max(64),
  function: z
    .looseObject({
      name: z.string().min(1).max(256),
      /** JSON text, as the model wrote it (it may not parse: the hub keeps it as is). */
      arguments: z.string().max(LIMITS.messageContentMax),
    })
    .optional(),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** Fields the hub assigns to a stored message: a client cannot send them. */
export const HUB_MESSAGE_FIELDS = ['seq', 'createdAt'] as const;

/** The message fields the hub knows itself; everything else in a message is kept in its `fields`. */
export const KNOWN_MESSAGE_FIELDS = new Set(['id', 'role', 'author', 'content', 'metadata', ...HUB_MESSAGE_FIELDS]);

/** The OpenAI fields and the unknown ones of a message: what the stores keep beside role and content. */
export function extraMessageFields(message: Record<string, unknown>): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(message)) {
    if (KNOWN_MESSAGE_FIELDS.has(key) || value === undefined) continue;
    (extra ??= {})[key] = value;
  }
  return extra;
}

/**
 * The message as one line of text, for transcripts (a group's LLM selector, stop words, logs):
 * text parts joined, other parts by type, tool calls as `name(arguments)`, tool results by call id.
 */
export function messageText(message: { content: MessageContent; tool_calls?: ToolCall[]; tool_call_id?: string }): string {
  const parts: string[] = [];
  if (message.tool_call_id !== undefined) parts.push(`[result of ${message.tool_call_id}]`);
  const { content } = message;
  if (typeof content === 'string') parts.push(content);
  else if (content) parts.push(...content.map((p) => (typeof p.text === 'string' ? p.text : `[${p.type}]`)));
  for (const call of message.tool_calls ?? []) {
    parts.push(call.function ? `→ ${call.function.name}(${call.function.arguments})` : `→ [${call.type} ${call.id}]`);
  }
  return parts.filter((p) => p !== '').join(' ');
}
