import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GROUP_DEFAULTS, type SessionMessage } from '@agent-hub/protocol';
import { LlmSelector, type LlmFallback } from './llm.ts';
import type { SelectionContext } from './speaker-selector.ts';

/** A local OpenAI-compatible endpoint whose behaviour each test chooses. */
type Behaviour = (body: any, res: ServerResponse) => void;
let behaviour: Behaviour;
let lastRequest: { url?: string; auth?: string; body?: any } = {};
let server: Server;
let url: string;

const answer =
  (content: string): Behaviour =>
  (_body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
  };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      lastRequest = { url: req.url, auth: req.headers.authorization, body: JSON.parse(raw || '{}') };
      behaviour(lastRequest.body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  lastRequest = {};
});

const seats = ['planner', 'coder', 'reviewer'];
function ctx(signal = new AbortController().signal): SelectionContext {
  const messages: SessionMessage[] = [
    { seq: 1, role: 'agent', author: 'planner', content: 'The plan is ready; someone should write the code.', metadata: {}, createdAt: '' },
  ];
  return {
    groupId: 'g1',
    seats,
    candidates: [
      { id: 'coder', capabilities: ['typescript'], priority: 0 },
      { id: 'reviewer', capabilities: ['code-review'], priority: 0 },
    ],
    previousId: 'planner',
    lastSpeakerId: 'planner',
    lastGranted: {},
    settings: { ...GROUP_DEFAULTS, stopWord: null, allowedTransitions: null, llm: null },
    recentMessages: async (n) => messages.slice(-n),
    signal,
  };
}

function selector(fallbacks: LlmFallback[], timeoutMs = 100) {
  return new LlmSelector({ url, model: 'picker-1', apiKey: 'sk-test', timeoutMs, onFallback: (f) => fallbacks.push(f) });
}

describe('llm speaker selection', () => {
  it('asks the model with the context and candidates, and takes its answer', async () => {
    behaviour = answer(' reviewer\n');
    const fallbacks: LlmFallback[] = [];
    const llm = selector(fallbacks, 2000);
    expect(await llm.select(ctx())).toEqual({ agentId: 'reviewer', reason: 'llm' });
    expect(lastRequest.url).toBe('/v1/chat/completions');
    expect(lastRequest.auth).toBe('Bearer sk-test');
    expect(lastRequest.body.model).toBe('picker-1');
    const prompt = lastRequest.body.messages.map((m: { content: string }) => m.content).join('\n');
    expect(prompt).toContain('- coder (capabilities: typescript; priority 0)');
    expect(prompt).toContain('[planner] The plan is ready');
    expect(llm.fallbacks).toBe(0);
    expect(fallbacks).toEqual([]);
  });

  it('falls back to round-robin within the budget when the model is too slow, and counts it', async () => {
    behaviour = (_b, res) => {
      const t = setTimeout(() => answer('reviewer')(_b, res), 1000);
      res.on('close', () => clearTimeout(t));
    };
    const fallbacks: LlmFallback[] = [];
    const llm = selector(fallbacks, 100);
    const start = performance.now();
    const choice = await llm.select(ctx());
    const elapsed = performance.now() - start;
    expect(choice).toEqual({ agentId: 'coder', reason: 'llm fallback (timeout): round-robin' });
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(300);
    expect(llm.fallbacks).toBe(1);
    expect(fallbacks).toEqual([{ groupId: 'g1', reason: 'timeout', detail: 'no answer within 100 ms' }]);
  });

  it('falls back when the answer is not the id of a candidate', async () => {
    const fallbacks: LlmFallback[] = [];
    const llm = selector(fallbacks, 2000);
    for (const garbage of ['I think the reviewer should go next', 'planner', '']) {
      behaviour = answer(garbage);
      expect(await llm.select(ctx())).toEqual({ agentId: 'coder', reason: 'llm fallback (invalid): round-robin' });
    }
    behaviour = (_b, res) => res.end('<html>not json</html>');
    expect((await llm.select(ctx())).reason).toBe('llm fallback (invalid): round-robin');
    expect(llm.fallbacks).toBe(4);
    expect(fallbacks.every((f) => f.reason === 'invalid')).toBe(true);
  });

  it('falls back on an HTTP error', async () => {
    behaviour = (_b, res) => {
      res.statusCode = 503;
      res.end('{"error":"overloaded"}');
    };
    const fallbacks: LlmFallback[] = [];
    const llm = selector(fallbacks, 2000);
    expect(await llm.select(ctx())).toEqual({ agentId: 'coder', reason: 'llm fallback (http): round-robin' });
    expect(fallbacks[0]).toMatchObject({ reason: 'http', detail: 'HTTP 503' });
  });

  it('keeps the budget even when the injected fetch ignores the abort signal', async () => {
    const fallbacks: LlmFallback[] = [];
    const llm = new LlmSelector({
      url,
      model: 'm',
      timeoutMs: 50,
      fetch: () => new Promise<Response>(() => {}),
      onFallback: (f) => fallbacks.push(f),
    });
    const start = performance.now();
    expect((await llm.select(ctx())).reason).toBe('llm fallback (timeout): round-robin');
    expect(performance.now() - start).toBeLessThan(250);
  });

  it('does not count an operator abort as a model failure', async () => {
    behaviour = (_b, res) => {
      const t = setTimeout(() => answer('reviewer')(_b, res), 1000);
      res.on('close', () => clearTimeout(t));
    };
    const fallbacks: LlmFallback[] = [];
    const llm = selector(fallbacks, 2000);
    const controller = new AbortController();
    const pending = llm.select(ctx(controller.signal));
    setTimeout(() => controller.abort(), 20);
    await pending;
    expect(llm.fallbacks).toBe(0);
  });
});
