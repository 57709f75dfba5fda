import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Group } from '@agent-hub/protocol';
import { joinGroup } from '@agent-hub/sdk';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

/** A local OpenAI-compatible endpoint that names the last eligible id after `delayMs`. */
async function fakeLlm(delayMs: number) {
  const seen: Array<{ auth?: string; body: any }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      seen.push({ auth: req.headers.authorization, body });
      const ids: string[] = body.response_format?.json_schema.schema.properties.speaker.enum ?? [];
      const t = setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: JSON.stringify({ speaker: ids.at(-1) }) } }] }));
      }, delayMs);
      res.on('close', () => clearTimeout(t));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('llm groups on named endpoints', () => {
  let t: TestHub;
  let local: Awaited<ReturnType<typeof fakeLlm>>;
  let canary: Awaited<ReturnType<typeof fakeLlm>>;
  beforeAll(async () => {
    [local, canary] = await Promise.all([fakeLlm(300), fakeLlm(0)]);
    const endpoints = {
      local: {
        url: local.url,
        apiKeyEnv: 'TEST_LOCAL_LLM_KEY',
        model: 'reasoner-1',
        tokenLimitParam: 'max_completion_tokens',
        temperature: null,
        structuredOutput: true,
      },
    };
    t = await startTestHub({ LLM_ENDPOINTS: JSON.stringify(endpoints), TEST_LOCAL_LLM_KEY: 'sk-local' });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([local.close(), canary.close()]);
  });

  it('refuses group settings that point at a URL, bring a key, or name an unknown endpoint', async () => {
    const refusals: Array<[unknown, number, string]> = [];
    for (const llm of [{ url: canary.url }, { endpoint: canary.url }, { endpoint: 'local', apiKey: 'sk-mine' }, { endpoint: 'nope' }]) {
      const res = await t.api('/api/groups', post({ members: ['x-a', 'x-b'], strategy: 'llm', llm }));
      refusals.push([llm, res.status, (await json(res)).error.code]);
    }
    expect(refusals.map(([, status, code]) => [status, code])).toEqual(Array(4).fill([400, 'VALIDATION_FAILED']));
    expect(canary.seen).toHaveLength(0);
  });

  it("asks the named endpoint, with its key and parameters, within the group's own budget", async () => {
    const names = ['n-a', 'n-b', 'n-c'];
    const clients = await Promise.all(names.map((n) => t.agent(n)));
    // The hub default budget is 100 ms; this model answers in 300 ms, so only the group's 5 s lets it decide.
    const created = await t.api(
      '/api/groups',
      post({ members: names, strategy: 'llm', maxTurns: 2, llm: { endpoint: 'local', budgetMs: 5000 } }),
    );
    expect(created.status).toBe(201);
    const group: Group = await json(created);
    expect(group.settings.llm).toEqual({ endpoint: 'local', budgetMs: 5000 });
    await Promise.all(clients.map((c) => joinGroup(c, group.id, () => 'noted')));
    await eventually(async () => (await json(await t.api(`/api/groups/${group.id}`))).status === 'ended', 5000, 'llm group ends');
    const final: Group = await json(await t.api(`/api/groups/${group.id}`));
    expect(final.history.filter((e) => e.outcome === 'granted').map((e) => [e.agentId, e.reason])).toEqual([
      ['n-c', 'llm'],
      ['n-c', 'llm'],
    ]);
    expect(local.seen[0]!.auth).toBe('Bearer sk-local');
    expect(local.seen[0]!.body).toMatchObject({ model: 'reasoner-1', max_completion_tokens: 2000 });
    expect(local.seen[0]!.body).not.toHaveProperty('temperature');
    expect(local.seen[0]!.body).not.toHaveProperty('max_tokens');
  });
});
