import type { SessionMessage } from '@agent-hub/protocol';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { roundRobin } from './round-robin.ts';
import type { Candidate, SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';

export type LlmFallbackReason = 'timeout' | 'http' | 'invalid' | 'network';

export interface LlmFallback {
  groupId: string;
  reason: LlmFallbackReason;
  detail: string;
}

export interface LlmSelectorOptions {
  /** Base URL of an OpenAI-compatible API; the selector POSTs to `${url}/chat/completions`. */
  url: string;
  model: string;
  apiKey?: string;
  /** Hard budget for one selection, request and answer included (ms). */
  timeoutMs?: number;
  /** How many recent messages the model sees. */
  contextMessages?: number;
  fetch?: typeof fetch;
  clock?: Clock;
  onFallback?: (f: LlmFallback) => void;
}

export const LLM_DEFAULT_TIMEOUT_MS = 100;
const CONTENT_CHARS = 500;

/**
 * Asks a language model who should speak next, within a hard time budget. A late, failed or
 * unusable answer (anything but the id of a candidate) never stalls the group: the turn goes
 * round-robin and the fallback is counted.
 */
export class LlmSelector implements SpeakerSelector {
  readonly strategy = 'llm' as const;
  /** Selections that fell back to round-robin since start. */
  fallbacks = 0;
  private readonly endpoint: string;
  private readonly budgetMs: number;
  private readonly fetch: typeof fetch;
  private readonly clock: Clock;

  constructor(private readonly o: LlmSelectorOptions) {
    this.endpoint = o.url.replace(/\/+$/, '') + '/chat/completions';
    this.budgetMs = o.timeoutMs ?? LLM_DEFAULT_TIMEOUT_MS;
    this.fetch = o.fetch ?? globalThis.fetch;
    this.clock = o.clock ?? systemClock;
  }

  async select(ctx: SelectionContext): Promise<Selection> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    // Racing the attempt (not only aborting it) keeps the budget hard even if a fetch ignores its signal.
    const budget = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => {
        controller.abort();
        resolve('timeout');
      }, this.budgetMs);
    });
    try {
      const outcome = await Promise.race([this.ask(ctx, controller.signal), budget]);
      if (outcome === 'timeout') return this.fallback(ctx, 'timeout', `no answer within ${this.budgetMs} ms`);
      if ('agentId' in outcome) return outcome;
      return this.fallback(ctx, outcome.reason, outcome.detail);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  private async ask(ctx: SelectionContext, signal: AbortSignal): Promise<Selection | Omit<LlmFallback, 'groupId'>> {
    try {
      const recent = await ctx.recentMessages(this.o.contextMessages ?? 10);
      const res = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
        },
        body: JSON.stringify(requestBody(this.o.model, ctx, recent)),
        signal,
      });
      if (!res.ok) {
        void res.body?.cancel().catch(() => undefined);
        return { reason: 'http', detail: `HTTP ${res.status}` };
      }
      const answer = answerOf(await res.json().catch(() => null));
      const agentId = answer === null ? null : idIn(answer, ctx.candidates);
      if (agentId === null) return { reason: 'invalid', detail: `not a candidate id: ${JSON.stringify(answer?.slice(0, 80) ?? null)}` };
      return { agentId, reason: 'llm' };
    } catch (err) {
      if (signal.aborted) return { reason: 'timeout', detail: 'aborted' };
      return { reason: 'network', detail: String(err) };
    }
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

function requestBody(model: string, ctx: SelectionContext, recent: SessionMessage[]) {
  const agents = ctx.candidates.map(describe).join('\n');
  const transcript = recent.length
    ? recent.map((m) => `[${m.author ?? m.role}] ${m.content.slice(0, CONTENT_CHARS)}`).join('\n')
    : '(no messages yet)';
  return {
    model,
    temperature: 0,
    max_tokens: 20,
    messages: [
      {
        role: 'system',
        content:
          'You choose the next speaker in a group conversation between AI agents. ' +
          'Answer with the id of exactly one agent from the list, and nothing else.',
      },
      {
        role: 'user',
        content:
          `Agents who may speak next:\n${agents}\n\nRecent conversation (oldest first):\n${transcript}\n\n` +
          `Last speaker: ${ctx.lastSpeakerId ?? 'nobody'}. Which agent id speaks next?`,
      },
    ],
  };
}

function describe(c: Candidate): string {
  const caps = c.capabilities.length ? c.capabilities.join(', ') : 'none declared';
  return `- ${c.id} (capabilities: ${caps}; priority ${c.priority})`;
}

function answerOf(body: unknown): string | null {
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : null;
}

/** The answer must be a candidate's id; quotes, backticks and a trailing full stop are forgiven. */
function idIn(answer: string, candidates: readonly Candidate[]): string | null {
  const cleaned = answer.trim().replace(/^["'`]+|["'`.]+$/g, '').trim();
  return candidates.some((c) => c.id === cleaned) ? cleaned : null;
}
