import { messageText, type SessionMessage } from '@agent-hub/protocol';
import type { Candidate, SelectionContext } from '../speaker-selector.ts';
import type { LlmEndpoint } from './llm-endpoint.ts';

const CONTENT_CHARS = 500;

export const DEFAULT_INSTRUCTION = 'You choose the next speaker in a group conversation between AI agents.';

export interface ChatRequest {
  model: string;
  /** The group's own instruction, replacing DEFAULT_INSTRUCTION; the answer format is always appended. */
  instruction?: string;
  structured: boolean;
}

/** The chat completions body, with the parameter names this endpoint accepts. */
export function chatBody(ep: LlmEndpoint, req: ChatRequest, ctx: SelectionContext, recent: SessionMessage[]): Record<string, unknown> {
  const agents = ctx.candidates.map(describe).join('\n');
  const transcript = recent.length
    ? recent.map((m) => `[${m.author ?? m.role}] ${messageText(m).slice(0, CONTENT_CHARS)}`).join('\n')
    : '(no messages yet)';
  const format = req.structured
    ? 'Answer with a JSON object {"speaker": "<agent id>"} naming exactly one agent from the list.'
    : 'Answer with the id of exactly one agent from the list, and nothing else.';
  const body: Record<string, unknown> = {
    model: req.model,
    messages: [
      { role: 'system', content: `${req.instruction ?? DEFAULT_INSTRUCTION} ${format}` },
      {
        role: 'user',
        content:
          `Agents who may speak next:\n${agents}\n\nRecent conversation (oldest first):\n${transcript}\n\n` +
          `Last speaker: ${ctx.lastSpeakerId ?? 'nobody'}. Which agent id speaks next?`,
      },
    ],
  };
  if (ep.tokenLimitParam !== 'none') body[ep.tokenLimitParam] = ep.maxTokens;
  if (ep.temperature !== null) body.temperature = ep.temperature;
  if (req.structured) body.response_format = speakerSchema(ctx.candidates.map((c) => c.id));
  return body;
}

/** OpenAI structured outputs: the answer can only be one of the eligible ids. */
function speakerSchema(ids: string[]) {
  return {
    type: 'json_schema',
    json_schema: {
      name: 'next_speaker',
      strict: true,
      schema: {
        type: 'object',
        properties: { speaker: { type: 'string', enum: ids } },
        required: ['speaker'],
        additionalProperties: false,
      },
    },
  };
}

function describe(c: Candidate): string {
  const caps = c.capabilities.length ? c.capabilities.join(', ') : 'none declared';
  return `- ${c.id} (capabilities: ${caps}; priority ${c.priority})`;
}
