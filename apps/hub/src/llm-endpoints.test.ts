import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return err instanceof ConfigError ? err.problems : [String(err)];
  }
};

describe('LLM endpoints in the hub configuration', () => {
  it('keeps LLM_URL, LLM_MODEL and LLM_API_KEY working as the endpoint "default"', () => {
    const c = loadConfig({ LLM_URL: 'http://127.0.0.1:8080/v1', LLM_MODEL: 'gpt-4o-mini', LLM_API_KEY: 'sk-1' });
    expect(c.llmEndpoints).toEqual({
      default: {
        url: 'http://127.0.0.1:8080/v1',
        model: 'gpt-4o-mini',
        apiKey: 'sk-1',
        tokenLimitParam: 'max_tokens',
        maxTokens: 20,
        temperature: 0,
        structuredOutput: false,
      },
    });
    expect(loadConfig({}).llmEndpoints).toEqual({});
  });

  it('reads named endpoints from LLM_ENDPOINTS, with keys from other variables and per-endpoint parameter names', () => {
    const c = loadConfig({
      LLM_ENDPOINTS: JSON.stringify({
        openai: {
          url: 'https://api.openai.com/v1',
          apiKeyEnv: 'OPENAI_API_KEY',
          model: 'o4-mini',
          tokenLimitParam: 'max_completion_tokens',
          temperature: null,
          structuredOutput: true,
        },
        local: { url: 'http://127.0.0.1:11434/v1', models: ['llama3.2', 'qwen3'] },
      }),
      OPENAI_API_KEY: 'sk-openai',
    });
    expect(c.llmEndpoints.openai).toMatchObject({
      apiKey: 'sk-openai',
      tokenLimitParam: 'max_completion_tokens',
      maxTokens: 2000,
      temperature: null,
      structuredOutput: true,
    });
    expect(c.llmEndpoints.local).toMatchObject({
      apiKey: undefined,
      tokenLimitParam: 'max_tokens',
      maxTokens: 20,
      temperature: 0,
      models: ['llama3.2', 'qwen3'],
    });
  });

  it('reads the same JSON from LLM_ENDPOINTS_FILE', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llm-endpoints-'));
    try {
      const file = path.join(dir, 'endpoints.json');
      await writeFile(file, JSON.stringify({ lab: { url: 'http://10.0.0.5:8000/v1', model: 'm' } }));
      expect(loadConfig({ LLM_ENDPOINTS_FILE: file }).llmEndpoints.lab).toMatchObject({ url: 'http://10.0.0.5:8000/v1', model: 'm' });
      expect(problemsOf({ LLM_ENDPOINTS_FILE: path.join(dir, 'missing.json') })).toEqual([
        `LLM_ENDPOINTS_FILE: cannot read ${path.join(dir, 'missing.json')} (ENOENT)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names every problem at start: bad JSON, a non-http URL, a missing key variable, a clash with LLM_URL', () => {
    expect(problemsOf({ LLM_ENDPOINTS: '{oops' })[0]).toMatch(/^LLM_ENDPOINTS: not JSON/);
    expect(problemsOf({ LLM_ENDPOINTS: JSON.stringify({ a: { url: 'file:///etc/passwd' } }) })).toEqual([
      'LLM_ENDPOINTS: a.url: must be an http(s) URL',
    ]);
    expect(problemsOf({ LLM_ENDPOINTS: JSON.stringify({ a: { url: 'http://x/v1', apiKeyEnv: 'NOPE_KEY' } }) })).toEqual([
      'LLM_ENDPOINTS: a.apiKeyEnv: NOPE_KEY is not set',
    ]);
    expect(problemsOf({ LLM_ENDPOINTS: JSON.stringify({ 'http://x': { url: 'http://x/v1' } }) })[0]).toMatch(
      /^LLM_ENDPOINTS: http:\/\/x: /,
    );
    expect(problemsOf({ LLM_ENDPOINTS: JSON.stringify({ default: { url: 'http://x/v1' } }), LLM_URL: 'http://y/v1' })).toEqual([
      'LLM_URL defines the endpoint "default", which LLM_ENDPOINTS defines too',
    ]);
  });
});
