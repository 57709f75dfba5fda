import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateGroup, GROUP_DEFAULTS, HubError, type GroupLlmSettings, type SessionMessage } from '@agent-hub/protocol';
import { agentInfo, groupHarness, type GroupHarness } from '../testing/group-harness.ts';
import { LlmSelector, type LlmFallback } from './llm.ts';
import { LLM_ENDPOINT_DEFAULTS, type LlmEndpoint } from './llm/llm-endpoint.ts';
import type { SelectionContext } from './speaker-selector.ts';

/** A real local OpenAI-compatible endpoint: records each request, answers as the test says. */
class FakeLlm {
  requests: Array<{ url?: string; auth?: string; body: any }> = [];
  answer: (body: any, res: ServerResponse) => void = (_b, res) => reply(res, 'reviewer');
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        this.requests.push({ url: req.url, auth: req.headers.authorization, body });
        this.answer(body, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

function reply(res: ServerResponse, content: string, delayMs = 0): void {
  const send = () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
  };
  if (delayMs === 0) return send();
  const t = setTimeout(send, delayMs);
  res.on('close', () => clearTimeout(t));
}

let main: FakeLlm;
let other: FakeLlm;
let canary: FakeLlm;
beforeAll(async () => {
  [main, other, canary] = await Promise.all([new FakeLlm().start(), new FakeLlm().start(), new FakeLlm().start()]);
});
afterAll(() => Promise.all([main.close(), other.close(), canary.close()]));
afterEach(() => {
  for (const f of [main, other, canary]) {
    f.requests = [];
    f.answer = (_b, res) => reply(res, 'reviewer');
  }
});

const endpoint = (url: string, o: Partial<LlmEndpoint> = {}): LlmEndpoint => ({ ...LLM_ENDPOINT_DEFAULTS, url, model: 'picker-1', ...o });

function ctx(llm: GroupLlmSettings | null = null, signal = new AbortController().signal): SelectionContext {
  const messages: SessionMessage[] = [
    { seq: 1, role: 'agent', author: 'planner', content: 'Code is written; please review it.', metadata: {}, createdAt: '' },
  ];
  return {
    groupId: 'g1',
    seats: ['planner', 'coder', 'reviewer'],
    candidates: [
      { id: 'coder', capabilities: ['typescript'], priority: 0 },
      { id: 'reviewer', capabilities: ['code-review'], priority: 0 },
    ],
    previousId: 'planner',
    lastSpeakerId: 'planner',
    lastGranted: {},
    settings: { ...GROUP_DEFAULTS, stopWord: null, allowedTransitions: null, llm },
    recentMessages: async (n) => messages.slice(-n),
    signal,
  };
}

function selector(endpoints: Record<string, LlmEndpoint>, fallbacks: LlmFallback[] = [], timeoutMs = 2000) {
  return new LlmSelector({ endpoints, timeoutMs, onFallback: (f) => fallbacks.push(f) });
}

describe('llm request parameters per endpoint', () => {
  it('sends max_tokens and temperature by default, as older compatible servers expect', async () => {
    await selector({ default: endpoint(main.url) }).select(ctx());
    const body = main.requests[0]!.body;
    expect(body).toMatchObject({ model: 'picker-1', max_tokens: 20, temperature: 0 });
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body).not.toHaveProperty('response_format');
  });

  it('sends max_completion_tokens and no temperature to an endpoint configured for reasoning models', async () => {
    // Like OpenAI's reasoning models: 400 for max_tokens or a temperature.
    main.answer = (body, res) => {
      if ('max_tokens' in body || 'temperature' in body) {
        res.statusCode = 400;
        return void res.end('{"error":{"message":"Unsupported parameter: max_tokens"}}');
      }
      reply(res, 'reviewer');
    };
    const reasoning = endpoint(main.url, { tokenLimitParam: 'max_completion_tokens', maxTokens: 2000, temperature: null });
    expect(await selector({ default: reasoning }).select(ctx())).toEqual({ agentId: 'reviewer', reason: 'llm' });
    expect(main.requests[0]!.body).toMatchObject({ max_completion_tokens: 2000 });
    expect(main.requests[0]!.body).not.toHaveProperty('max_tokens');
    expect(main.requests[0]!.body).not.toHaveProperty('temperature');
  });

  it('sends no length cap at all when told to', async () => {
    await selector({ default: endpoint(main.url, { tokenLimitParam: 'none' }) }).select(ctx());
    expect(main.requests[0]!.body).not.toHaveProperty('max_tokens');
    expect(main.requests[0]!.body).not.toHaveProperty('max_completion_tokens');
  });
});

describe('structured answers', () => {
  it('asks for a JSON schema whose speaker is an enum of the eligible ids, and reads the answer', async () => {
    main.answer = (_b, res) => reply(res, '{"speaker":"reviewer"}');
    const fallbacks: LlmFallback[] = [];
    const llm = selector({ default: endpoint(main.url, { structuredOutput: true }) }, fallbacks);
    expect(await llm.select(ctx())).toEqual({ agentId: 'reviewer', reason: 'llm' });
    const format = main.requests[0]!.body.response_format;
    expect(format).toMatchObject({ type: 'json_schema', json_schema: { name: 'next_speaker', strict: true } });
    expect(format.json_schema.schema.properties.speaker.enum).toEqual(['coder', 'reviewer']);
    expect(format.json_schema.schema.required).toEqual(['speaker']);
    expect(fallbacks).toEqual([]);
  });

  it('falls back to round-robin when the structured answer names an ineligible agent', async () => {
    main.answer = (_b, res) => reply(res, '{"speaker":"planner"}');
    const fallbacks: LlmFallback[] = [];
    const llm = selector({ default: endpoint(main.url, { structuredOutput: true }) }, fallbacks);
    expect(await llm.select(ctx())).toEqual({ agentId: 'coder', reason: 'llm fallback (invalid): round-robin' });
    expect(fallbacks).toMatchObject([{ reason: 'invalid' }]);
  });

  it('reads a plain-text answer from a server that ignored response_format', async () => {
    main.answer = (_b, res) => reply(res, '"reviewer".');
    expect(await selector({ default: endpoint(main.url, { structuredOutput: true }) }).select(ctx())).toEqual({
      agentId: 'reviewer',
      reason: 'llm',
    });
  });

  it('asks again for plain text when the server refuses response_format with 400', async () => {
    main.answer = (body, res) => {
      if (body.response_format) {
        res.statusCode = 400;
        return void res.end('{"error":{"message":"response_format is not supported"}}');
      }
      reply(res, 'reviewer');
    };
    const fallbacks: LlmFallback[] = [];
    expect(await selector({ default: endpoint(main.url, { structuredOutput: true }) }, fallbacks).select(ctx())).toEqual({
      agentId: 'reviewer',
      reason: 'llm',
    });
    expect(main.requests.map((r) => 'response_format' in r.body)).toEqual([true, false]);
    expect(main.requests[1]!.body.messages[0].content).toContain('Answer with the id of exactly one agent');
    expect(fallbacks).toEqual([]);
  });
});

describe('per-group budget', () => {
  it('keeps the hub default (100 ms) for a group that sets none, and the group budget for one that does', async () => {
    main.answer = (_b, res) => reply(res, 'reviewer', 400);
    const fallbacks: LlmFallback[] = [];
    const llm = selector({ default: endpoint(main.url) }, fallbacks, 100);

    let t0 = performance.now();
    expect(await llm.select(ctx())).toEqual({ agentId: 'coder', reason: 'llm fallback (timeout): round-robin' });
    // Well before the model's 400 ms (slack for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(390);
    expect(fallbacks).toEqual([{ groupId: 'g1', reason: 'timeout', detail: 'no answer within 100 ms' }]);

    t0 = performance.now();
    expect(await llm.select(ctx({ budgetMs: 5000 }))).toEqual({ agentId: 'reviewer', reason: 'llm' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(fallbacks).toHaveLength(1);
  });

  it('waits for a slow model without holding up other groups or the event loop', async () => {
    // The model answers after 600 ms; timers keep firing meanwhile unless the loop is blocked.
    let ticks = 0;
    let ticksWhileModelThinks = -1;
    main.answer = (_b, res) => {
      const before = ticks;
      const t = setTimeout(() => {
        ticksWhileModelThinks = ticks - before;
        reply(res, 'bob');
      }, 600);
      res.on('close', () => clearTimeout(t));
    };
    const beat = setInterval(() => ticks++, 5);
    const llm = new LlmSelector({ endpoints: { default: endpoint(main.url) }, timeoutMs: 100 });
    const h: GroupHarness = groupHarness({ agents: ['ann', 'bob', 'cy', 'dee'].map((id) => agentInfo(id)), selectors: { llm } });
    try {
      h.autoReply();
      const slow = await h.create({ members: ['ann', 'bob'], strategy: 'llm', maxTurns: 1, llm: { budgetMs: 5000 } });
      const quick = await h.create({ members: ['cy', 'dee'], maxTurns: 20 });
      await h.settle();
      // The round-robin group is done while the llm group is still waiting for its model.
      expect((await h.view(quick.id)).status).toBe('ended');
      expect((await h.view(slow.id)).waiting).toBe('choosing the next speaker (llm)');
      const t0 = performance.now();
      while ((await h.view(slow.id)).status !== 'ended' && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      const g = await h.view(slow.id);
      expect(g.history.filter((e) => e.outcome === 'granted').map((e) => [e.agentId, e.reason])).toEqual([['bob', 'llm']]);
      expect(ticksWhileModelThinks).toBeGreaterThan(5);
    } finally {
      clearInterval(beat);
      await h.close();
    }
  });
});

describe('named endpoints', () => {
  it("sends each group to the endpoint it names, with that endpoint's key and model unless the group names one", async () => {
    const llm = selector({
      default: endpoint(main.url, { apiKey: 'sk-main' }),
      local: endpoint(other.url, { apiKey: 'sk-other', model: 'small-1' }),
    });
    await llm.select(ctx({ endpoint: 'local' }));
    await llm.select(ctx({ endpoint: 'local', model: 'small-2', prompt: 'Prefer the reviewer after code.' }));
    await llm.select(ctx());
    expect(other.requests.map((r) => [r.url, r.auth, r.body.model])).toEqual([
      ['/v1/chat/completions', 'Bearer sk-other', 'small-1'],
      ['/v1/chat/completions', 'Bearer sk-other', 'small-2'],
    ]);
    expect(other.requests[1]!.body.messages[0].content).toMatch(/^Prefer the reviewer after code\. Answer with the id/);
    expect(main.requests.map((r) => [r.auth, r.body.model])).toEqual([['Bearer sk-main', 'picker-1']]);
  });

  it('refuses a new group naming an unknown endpoint or a model the endpoint does not allow', () => {
    const llm = selector({ default: endpoint(main.url, { models: ['picker-1'] }) });
    const refusal = (llmSettings: GroupLlmSettings) => {
      try {
        llm.checkSettings(CreateGroup.parse({ members: ['a', 'b'], strategy: 'llm', llm: llmSettings }));
        return null;
      } catch (err) {
        return err instanceof HubError ? [err.code, err.message] : String(err);
      }
    };
    expect(refusal({})).toBeNull();
    expect(refusal({ endpoint: 'nope' })).toEqual(['VALIDATION_FAILED', 'no LLM endpoint named "nope" is configured on this hub']);
    expect(refusal({ model: 'gpt-huge' })).toEqual(['VALIDATION_FAILED', 'model "gpt-huge" is not allowed on LLM endpoint "default"']);
  });

  it("falls back, naming the reason, when a restored group's endpoint is no longer configured", async () => {
    const fallbacks: LlmFallback[] = [];
    expect(await selector({ default: endpoint(main.url) }, fallbacks).select(ctx({ endpoint: 'gone' }))).toEqual({
      agentId: 'coder',
      reason: 'llm fallback (config): round-robin',
    });
    expect(fallbacks).toMatchObject([{ reason: 'config', detail: 'no LLM endpoint named "gone" is configured on this hub' }]);
    expect(main.requests).toHaveLength(0);
  });
});

describe('no request forgery through group settings', () => {
  it('refuses a group that brings a URL or a key of its own', () => {
    for (const llm of [
      { endpoint: canary.url },
      { endpoint: '127.0.0.1:80' },
      { url: canary.url },
      { apiKey: 'sk-mine' },
      { endpoint: 'default', baseURL: canary.url },
    ]) {
      const parsed = CreateGroup.safeParse({ members: ['a', 'b'], strategy: 'llm', llm });
      expect(parsed.success, JSON.stringify(llm)).toBe(false);
    }
  });

  it("never calls a URL put in a group's settings, even one that bypassed the schema (a tampered document)", async () => {
    const fallbacks: LlmFallback[] = [];
    const llm = selector({ default: endpoint(main.url) }, fallbacks);
    const tampered = { endpoint: canary.url, url: canary.url } as unknown as GroupLlmSettings;
    expect((await llm.select(ctx(tampered))).reason).toBe('llm fallback (config): round-robin');
    // `constructor`, `__proto__` and friends are not endpoints either.
    expect((await llm.select(ctx({ endpoint: 'constructor' }))).reason).toBe('llm fallback (config): round-robin');
    expect(canary.requests).toHaveLength(0);
    expect(main.requests).toHaveLength(0);
  });
});
