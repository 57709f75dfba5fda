import { HubError, type CreateGroupParsed, type GroupLlmSettings } from '@agent-hub/protocol';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { roundRobin } from './round-robin.ts';
import type { SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';
import { answerText, speakerIn } from './llm/llm-answer.ts';
import { DEFAULT_LLM_ENDPOINT, LLM_ENDPOINT_DEFAULTS, type LlmEndpoint } from './llm/llm-endpoint.ts';
import { chatBody, type ChatRequest } from './llm/llm-request.ts';

export type LlmFallbackReason = 'timeout' | 'http' | 'invalid' | 'network' | 'config';

export interface LlmFallback {
  groupId: string;
  reason: LlmFallbackReason;
  detail: string;
}

export interface LlmSelectorOptions {
  /** The hub's endpoints by name; a group picks one in `settings.llm.endpoint` (default `default`). */
  endpoints?: Readonly<Record<string, LlmEndpoint>>;
  /** Shorthand for one endpoint named `default` with the usual parameters. */
  url?: string;
  model?: string;
  apiKey?: string;
  /** Hard budget for one selection, request and answer included (ms), unless the group sets `llm.budgetMs`. */
  timeoutMs?: number;
  /** How many recent messages the model sees. */
  contextMessages?: number;
  fetch?: typeof fetch;
  clock?: Clock;
  onFallback?: (f: LlmFallback) => void;
}

export const LLM_DEFAULT_TIMEOUT_MS = 100;

type Outcome = Selection | Omit<LlmFallback, 'groupId'>;
interface Target {
  endpoint: LlmEndpoint;
  model: string;
}

/**
 * Asks a language model who should speak next, within a hard time budget. A late, failed or
 * unusable answer (anything but the id of a candidate) never stalls the group: the turn goes
 * round-robin and the fallback is counted. The call is plain async I/O outside the group's lock,
 * so a group waiting seconds for its model holds up neither other groups nor the event loop.
 */
export class LlmSelector implements SpeakerSelector {
  readonly strategy = 'llm' as const;
  /** Selections that fell back to round-robin since start. */
  fallbacks = 0;
  private readonly endpoints: ReadonlyMap<string, LlmEndpoint>;
  private readonly budgetMs: number;
  private readonly fetch: typeof fetch;
  private readonly clock: Clock;

  constructor(private readonly o: LlmSelectorOptions) {
    const named = Object.entries(o.endpoints ?? {});
    if (o.url) named.push([DEFAULT_LLM_ENDPOINT, { ...LLM_ENDPOINT_DEFAULTS, url: o.url, model: o.model, apiKey: o.apiKey }]);
    this.endpoints = new Map(named);
    this.budgetMs = o.timeoutMs ?? LLM_DEFAULT_TIMEOUT_MS;
    this.fetch = o.fetch ?? globalThis.fetch;
    this.clock = o.clock ?? systemClock;
  }

  /** Names the configured endpoints (for errors and docs; never their URLs). */
  endpointNames(): string[] {
    return [...this.endpoints.keys()];
  }

  /** A new llm group must name a configured endpoint and a model it may ask. */
  checkSettings(input: CreateGroupParsed): void {
    const t = this.target(input.llm ?? null);
    if (typeof t === 'string') throw new HubError('VALIDATION_FAILED', t, { field: 'llm', endpoints: this.endpointNames() });
  }

  async select(ctx: SelectionContext): Promise<Selection> {
    const target = this.target(ctx.settings.llm ?? null);
    // A group restored on a hub whose configuration lost its endpoint keeps talking.
    if (typeof target === 'string') return this.fallback(ctx, 'config', target);
    const budgetMs = ctx.settings.llm?.budgetMs ?? this.budgetMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    // Racing the attempt (not only aborting it) keeps the budget hard even if a fetch ignores its signal.
    const budget = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => {
        controller.abort();
        resolve('timeout');
      }, budgetMs);
    });
    try {
      const outcome = await Promise.race([this.ask(ctx, target, controller.signal), budget]);
      if (outcome === 'timeout') return this.fallback(ctx, 'timeout', `no answer within ${budgetMs} ms`);
      if ('agentId' in outcome) return outcome;
      return this.fallback(ctx, outcome.reason, outcome.detail);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** The endpoint and model a group's settings resolve to, or why they do not. */
  private target(s: GroupLlmSettings | null): Target | string {
    const name = s?.endpoint ?? DEFAULT_LLM_ENDPOINT;
    const endpoint = this.endpoints.get(name);
    if (!endpoint) return `no LLM endpoint named "${name}" is configured on this hub`;
    const model = s?.model ?? endpoint.model;
    if (!model) return `LLM endpoint "${name}" has no default model; set llm.model`;
    if (endpoint.models && !endpoint.models.includes(model)) return `model "${model}" is not allowed on LLM endpoint "${name}"`;
    return { endpoint, model };
  }

  private async ask(ctx: SelectionContext, t: Target, signal: AbortSignal): Promise<Outcome> {
    try {
      const recent = await ctx.recentMessages(this.o.contextMessages ?? 10);
      const req: ChatRequest = { model: t.model, instruction: ctx.settings.llm?.prompt, structured: t.endpoint.structuredOutput };
      let res = await this.post(t.endpoint, chatBody(t.endpoint, req, ctx, recent), signal);
      // A server that refuses `response_format` is asked again for plain text, within the same budget.
      if (res.status === 400 && req.structured) {
        void res.body?.cancel().catch(() => undefined);
        res = await this.post(t.endpoint, chatBody(t.endpoint, { ...req, structured: false }, ctx, recent), signal);
      }
      if (!res.ok) {
        void res.body?.cancel().catch(() => undefined);
        return { reason: 'http', detail: `HTTP ${res.status}` };
      }
      const answer = answerText(await res.json().catch(() => null));
      const agentId = answer === null ? null : speakerIn(answer, ctx.candidates);
      if (agentId === null) return { reason: 'invalid', detail: `not a candidate id: ${JSON.stringify(answer?.slice(0, 80) ?? null)}` };
      return { agentId, reason: 'llm' };
    } catch (err) {
      if (signal.aborted) return { reason: 'timeout', detail: 'aborted' };
      return { reason: 'network', detail: String(err) };
    }
  }

  private post(ep: LlmEndpoint, body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    return this.fetch(ep.url.replace(/\/+$/, '') + '/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal,
    });
  }

  private fallback(ctx: SelectionContext, reason: LlmFallbackReason, detail: string): Selection {
    // An operator pick or a pause aborts the selection on purpose: that is not the model failing.
    if (!ctx.signal.aborted) {
      this.fallbacks++;
      this.o.onFallback?.({ groupId: ctx.groupId, reason, detail });
    }
    return { agentId: roundRobin(ctx), reason: `llm fallback (${reason}): round-robin` };
  }
}
