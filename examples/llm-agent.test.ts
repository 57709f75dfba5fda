import { afterAll, beforeAll, expect, it } from 'vitest';
import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';
import { lookupFact, startLlmAgent, type LlmAgent } from './llm-agent.ts';

let hub: HubProcess;
let fake: FakeOpenAI;
const agents: LlmAgent[] = [];
// The fake endpoint looks up the last three words said: here, the group's opening prompt.
const TOPIC = 'something about octopuses';

beforeAll(async () => {
  [hub, fake] = await Promise.all([HubProcess.start({ env: { STORE: 'memory' } }), startFakeOpenAI()]);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all([fake?.close(), hub?.stop()]);
});

async function api<T>(method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await hub.api(pathname, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface GroupView {
  id: string;
  sessionId: string;
  status: string;
  history: { agentId: string; outcome: string; handoff?: { from: string; to: string; accepted: boolean } }[];
}

it('takes turns through an OpenAI-compatible endpoint, records its tool calls in the session and hands off', async () => {
  for (const agentId of ['ann', 'bob']) {
    const { token } = await api<{ token: string }>('POST', '/api/agents/tokens', { agentId });
    agents.push(await startLlmAgent({ url: hub.url, agentId, token, llm: { url: fake.url, model: 'fake-model' } }));
  }
  const group = await api<GroupView>('POST', '/api/groups', {
    members: ['ann', 'bob'],
    strategy: 'round-robin',
    maxTurns: 2,
    prompt: 'Tell me something about octopuses',
  });
  await Promise.all(agents.map((a) => a.join(group.id)));

  const ended = await waitFor(async () => {
    const g = await api<GroupView>('GET', `/api/groups/${group.id}`);
    return g.status === 'ended' ? g : null;
  });

  const { messages } = await api<{ messages: Record<string, unknown>[] }>('GET', `/api/sessions/${ended.sessionId}`);
  // The session keeps what the agent appended in the OpenAI chat shape, beside the hub's own fields.
  const chatShape = ({ role, author, content, tool_calls, tool_call_id }: Record<string, unknown>) => ({
    role,
    author,
    content,
    tool_calls,
    tool_call_id,
  });
  const call = messages.find((m) => m.role === 'assistant' && m.author === 'ann');
  const callId = 'call_1';
  expect(chatShape(call!)).toEqual({
    role: 'assistant',
    author: 'ann',
    content: null,
    tool_calls: [{ id: callId, type: 'function', function: { name: 'lookup_fact', arguments: JSON.stringify({ topic: TOPIC }) } }],
  });
  const result = messages.find((m) => m.role === 'tool' && m.tool_call_id === callId);
  expect(chatShape(result!)).toEqual({ role: 'tool', author: 'ann', content: lookupFact(TOPIC), tool_call_id: callId });
  expect(messages.find((m) => m.role === 'agent' && m.author === 'ann')?.content).toMatch(/HANDOFF: bob$/);

  expect(ended.history.filter((h) => h.handoff)).toContainEqual(
    expect.objectContaining({
      agentId: 'bob',
      outcome: 'granted',
      handoff: expect.objectContaining({ from: 'ann', to: 'bob', accepted: true }),
    }),
  );
  // The follow-up request carried the tool exchange back to the model, in the chat shape.
  expect(fake.requests[1]?.messages?.slice(-2)).toEqual([
    { role: 'assistant', content: null, tool_calls: call!.tool_calls },
    { role: 'tool', tool_call_id: callId, content: lookupFact(TOPIC) },
  ]);
}, 60_000);

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
