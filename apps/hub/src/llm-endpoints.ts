import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LlmEndpointName } from '@agent-hub/protocol';
import { DEFAULT_LLM_ENDPOINT, LLM_ENDPOINT_DEFAULTS, type LlmEndpoint } from '@agent-hub/core';

const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/** One entry of LLM_ENDPOINTS (or the file LLM_ENDPOINTS_FILE names). */
const EndpointEntry = z
  .object({
    url: HttpUrl,
    /** The key itself, or the name of an environment variable holding it (keeps keys out of the JSON). */
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    models: z.array(z.string().min(1)).min(1).optional(),
    tokenLimitParam: z.enum(['max_tokens', 'max_completion_tokens', 'none']).default(LLM_ENDPOINT_DEFAULTS.tokenLimitParam),
    maxTokens: z.number().int().min(1).max(100_000).optional(),
    temperature: z.number().min(0).max(2).nullable().default(LLM_ENDPOINT_DEFAULTS.temperature),
    structuredOutput: z.boolean().default(LLM_ENDPOINT_DEFAULTS.structuredOutput),
  })
  .strict();

const Endpoints = z.record(LlmEndpointName, EndpointEntry);

/** Reasoning models spend completion tokens thinking before the answer: 20 would leave them none. */
const REASONING_MAX_TOKENS = 2000;

export interface LlmEndpointSource {
  LLM_ENDPOINTS?: string;
  LLM_ENDPOINTS_FILE?: string;
  LLM_URL?: string;
  LLM_MODEL?: string;
  LLM_API_KEY?: string;
}

/**
 * The named LLM endpoints of the hub: LLM_ENDPOINTS (JSON) or LLM_ENDPOINTS_FILE, plus the
 * older LLM_URL / LLM_MODEL / LLM_API_KEY as the endpoint `default`. Problems are returned, not
 * thrown, so the config loader reports them with the rest.
 */
export function llmEndpointsOf(
  c: LlmEndpointSource,
  env: Record<string, string | undefined>,
): { endpoints: Record<string, LlmEndpoint>; problems: string[] } {
  const problems: string[] = [];
  const endpoints: Record<string, LlmEndpoint> = {};
  if (c.LLM_ENDPOINTS && c.LLM_ENDPOINTS_FILE) problems.push('set LLM_ENDPOINTS or LLM_ENDPOINTS_FILE, not both');
  const source = c.LLM_ENDPOINTS
    ? { name: 'LLM_ENDPOINTS', text: c.LLM_ENDPOINTS }
    : c.LLM_ENDPOINTS_FILE
      ? readSource(c.LLM_ENDPOINTS_FILE, problems)
      : null;
  if (source) {
    let raw: unknown;
    try {
      raw = JSON.parse(source.text);
    } catch (err) {
      problems.push(`${source.name}: not JSON (${(err as Error).message})`);
    }
    const parsed = raw === undefined ? null : Endpoints.safeParse(raw);
    if (parsed && !parsed.success) {
      for (const i of parsed.error.issues) problems.push(`${source.name}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    }
    for (const [name, e] of Object.entries(parsed?.success ? parsed.data : {})) {
      const apiKey = e.apiKey ?? (e.apiKeyEnv ? env[e.apiKeyEnv] : undefined);
      if (e.apiKeyEnv && !apiKey) problems.push(`${source.name}: ${name}.apiKeyEnv: ${e.apiKeyEnv} is not set`);
      if (e.model && e.models && !e.models.includes(e.model)) problems.push(`${source.name}: ${name}.model is not among its models`);
      const maxTokens =
        e.maxTokens ?? (e.tokenLimitParam === 'max_completion_tokens' ? REASONING_MAX_TOKENS : LLM_ENDPOINT_DEFAULTS.maxTokens);
      endpoints[name] = {
        url: e.url,
        apiKey,
        model: e.model,
        models: e.models,
        tokenLimitParam: e.tokenLimitParam,
        maxTokens,
        temperature: e.temperature,
        structuredOutput: e.structuredOutput,
      };
    }
  }
  if (c.LLM_URL) {
    if (DEFAULT_LLM_ENDPOINT in endpoints)
      problems.push(`LLM_URL defines the endpoint "${DEFAULT_LLM_ENDPOINT}", which ${source?.name ?? 'LLM_ENDPOINTS'} defines too`);
    else endpoints[DEFAULT_LLM_ENDPOINT] = { ...LLM_ENDPOINT_DEFAULTS, url: c.LLM_URL, model: c.LLM_MODEL, apiKey: c.LLM_API_KEY };
  }
  return { endpoints, problems };
}

function readSource(path: string, problems: string[]): { name: string; text: string } | null {
  try {
    return { name: `LLM_ENDPOINTS_FILE (${path})`, text: readFileSync(path, 'utf8') };
  } catch (err) {
    problems.push(`LLM_ENDPOINTS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return null;
  }
}
