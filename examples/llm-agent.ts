// An agent whose turns in a group come from an OpenAI-compatible chat completions endpoint. Each
// turn it sends the conversation so far and one tool (`lookup_fact`), runs the tool when the model
// asks, appends the assistant's `tool_calls` message and the `tool` result to the group's session
// (so the dashboard and the other members see the exchange), and speaks the final answer, handing
// off to the agent named by a `HANDOFF: <id>` line.
//
// Config: one JSON argument (`{url, agentId, token, groupId, llm: {url, model, apiKey?}}`), or env:
// HUB_URL, AGENT_ID, AGENT_TOKEN, GROUP_ID, LLM_AGENT_URL, LLM_AGENT_MODEL, LLM_AGENT_API_KEY.
// Try it with `node --import tsx examples/fake-openai.ts` as the endpoint.
import { pathToFileURL } from 'node:url';
import { messageText, type SessionMessage, type ToolCall } from '@agent-hub/protocol';
import { connectAgent, joinGroup, type AgentClient, type GroupParticipant, type TurnAnswer } from '@agent-hub/sdk';

export interface LlmEndpoint {
  /** Base URL; `/chat/completions` is appended (e.g. `https://api.openai.com/v1`). */
  url: string;
  model: string;
  apiKey?: string;
}

export interface LlmAgentConfig {
  url: string;
  agentId: string;
  token: string;
  llm: LlmEndpoint;
  groupId?: string;
}

/** The OpenAI chat message this agent sends and receives (the session keeps the same fields). A type, not an interface, so it is assignable to the SDK's loose message type. */
type ChatMessage = {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
};

const LOOKUP_FACT = {
  type: 'function',
  function: {
    name: 'lookup_fact',
    description: 'Looks up one short fact about a topic.',
    parameters: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
  },
} as const;

// A model that keeps calling tools must still answer within the turn.
const MAX_TOOL_ROUNDS = 3;

/** The tool itself: local and deterministic, so the example needs nothing but the endpoint. */
export function lookupFact(topic: string): string {
  return `${topic} has ${topic.length} characters.`;
}

async function complete(llm: LlmEndpoint, messages: ChatMessage[]): Promise<ChatMessage> {
  const res = await fetch(`${llm.url.replace(/\/$/, '')}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {}) },
    body: JSON.stringify({ model: llm.model, messages, tools: [LOOKUP_FACT] }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`chat completions answered ${res.status}`);
  const body = (await res.json()) as { choices?: { message?: ChatMessage }[] };
  const message = body.choices?.[0]?.message;
  if (!message) throw new Error('chat completions answered without a message');
  return message;
}

/** The session as the model sees it: this agent's messages as `assistant`, everyone else's as `user` text. */
function toChat(agentId: string, others: string[], history: readonly SessionMessage[]): ChatMessage[] {
  const system: ChatMessage = {
    role: 'system',
    content: `You are ${agentId} in a group conversation. Use lookup_fact when a fact helps. End with "HANDOFF: <id>" to pick who speaks next. Others: ${others.join(', ')}`,
  };
  const chat = history.map((m): ChatMessage => {
    if (m.author === agentId && m.role !== 'tool') return { role: 'assistant', content: messageText(m) };
    return { role: 'user', content: `${m.author ?? m.role}: ${messageText(m)}` };
  });
  return [system, ...chat];
}

function runTool(call: ToolCall): string {
  if (call.function?.name !== LOOKUP_FACT.function.name) return `unknown tool ${call.function?.name ?? call.type}`;
  try {
    const args = JSON.parse(call.function.arguments) as { topic?: unknown };
    return lookupFact(String(args.topic ?? ''));
  } catch {
    return 'arguments were not JSON';
  }
}

/** One turn: ask the model, run the tools it calls (recording them in the session), return its answer. */
export async function takeTurn(
  client: AgentClient,
  cfg: LlmAgentConfig,
  seat: { sessionId: string; members: string[] },
  history: readonly SessionMessage[],
): Promise<TurnAnswer> {
  const others = seat.members.filter((m) => m !== cfg.agentId);
  const chat = toChat(cfg.agentId, others, history);
  for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
    const reply = await complete(cfg.llm, chat);
    if (!reply.tool_calls?.length) return answerOf(reply.content ?? '', others);
    const assistant: ChatMessage = { role: 'assistant', content: reply.content ?? null, tool_calls: reply.tool_calls };
    const results = reply.tool_calls.map((call): ChatMessage => ({ role: 'tool', tool_call_id: call.id, content: runTool(call) }));
    await client.sessions.append(seat.sessionId, { messages: [assistant, ...results] });
    chat.push(assistant, ...results);
  }
  return { content: 'I ran out of tool rounds this turn.' };
}

/** `HANDOFF: bob` in the answer names the next speaker, if bob is another member. */
function answerOf(content: string, others: string[]): TurnAnswer {
  const named = /HANDOFF:\s*([\w.-]+)/.exec(content)?.[1];
  return named && others.includes(named) ? { content, handoff: named } : { content };
}

export interface LlmAgent {
  client: AgentClient;
  join(groupId: string): Promise<GroupParticipant>;
  close(): Promise<void>;
}

export async function startLlmAgent(cfg: LlmAgentConfig): Promise<LlmAgent> {
  const client = await connectAgent({ url: cfg.url, agentId: cfg.agentId, token: cfg.token, capabilities: ['llm'] });
  return {
    client,
    join: (groupId) =>
      joinGroup(client, groupId, (_turn, { group, messages }) =>
        takeTurn(client, cfg, { sessionId: group.sessionId, members: group.members }, messages),
      ),
    close: () => client.close(),
  };
}

function configFromProcess(): LlmAgentConfig {
  if (process.argv[2]) return JSON.parse(process.argv[2]) as LlmAgentConfig;
  const env = process.env;
  return {
    url: env.HUB_URL ?? 'http://127.0.0.1:3000',
    agentId: env.AGENT_ID ?? 'llm-agent',
    token: env.AGENT_TOKEN ?? '',
    groupId: env.GROUP_ID,
    llm: { url: env.LLM_AGENT_URL ?? 'http://127.0.0.1:8787/v1', model: env.LLM_AGENT_MODEL ?? 'fake', apiKey: env.LLM_AGENT_API_KEY },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cfg = configFromProcess();
  if (!cfg.groupId) throw new Error('llm-agent needs a groupId (config) or GROUP_ID');
  const agent = await startLlmAgent(cfg);
  const seat = await agent.join(cfg.groupId);
  process.stdout.write(`[${cfg.agentId}] seated in group ${cfg.groupId}\n`);
  process.stdout.write(`[${cfg.agentId}] group ended: ${await seat.ended}\n`);
  await agent.close();
}
