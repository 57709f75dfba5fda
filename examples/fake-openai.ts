// A tiny OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`) for the
// llm-agent example and its test. Deterministic, no model: a request whose last message is not a
// tool result is answered with a call of the first offered tool; the follow-up (after the tool
// result) with text that names a handoff target, read from the system prompt's `Others:` line.
// By hand: `node --import tsx examples/fake-openai.ts` (FAKE_OPENAI_PORT, default 8787).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

interface ChatRequest {
  model?: string;
  messages?: { role: string; content?: unknown }[];
  tools?: { type: string; function?: { name: string } }[];
}

export interface FakeOpenAI {
  /** The base URL, ending in `/v1` (append `/chat/completions`). */
  url: string;
  /** Every request body received, oldest first. */
  requests: ChatRequest[];
  close(): Promise<void>;
}

export async function startFakeOpenAI(port = 0): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { error: { message: String(err) } }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return send(res, 404, { error: { message: 'not found' } });
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw) as ChatRequest;
    requests.push(body);
    send(res, 200, completion(body, ++calls));
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function completion(body: ChatRequest, n: number) {
  const messages = body.messages ?? [];
  const last = messages[messages.length - 1];
  const tool = body.tools?.[0]?.function?.name;
  const message =
    last?.role !== 'tool' && tool
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: `call_${n}`, type: 'function', function: { name: tool, arguments: JSON.stringify({ topic: topicOf(messages) }) } },
          ],
        }
      : { role: 'assistant', content: answer(messages) };
  return {
    id: `chatcmpl-fake-${n}`,
    object: 'chat.completion',
    created: 0,
    model: body.model ?? 'fake',
    choices: [{ index: 0, message, finish_reason: 'tool_calls' in message ? 'tool_calls' : 'stop' }],
  };
}

function text(content: unknown): string {
  return typeof content === 'string' ? content : '';
}

/** The last non-system text of the conversation, cut to a few words: what the agent looks up. */
function topicOf(messages: ChatRequest['messages'] & object): string {
  const said = [...messages].reverse().find((m) => m.role !== 'system' && text(m.content) !== '');
  return text(said?.content).split(/\s+/).slice(-3).join(' ') || 'nothing';
}

function answer(messages: ChatRequest['messages'] & object): string {
  const fact = text(messages[messages.length - 1]?.content);
  const others = /Others: (.*)/.exec(text(messages.find((m) => m.role === 'system')?.content))?.[1];
  const next = others?.split(',')[0]?.trim();
  return next ? `I found: ${fact} HANDOFF: ${next}` : `I found: ${fact}`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fake = await startFakeOpenAI(Number(process.env.FAKE_OPENAI_PORT ?? 8787));
  process.stdout.write(`fake OpenAI endpoint at ${fake.url} (LLM_AGENT_URL=${fake.url})\n`);
  process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
}
