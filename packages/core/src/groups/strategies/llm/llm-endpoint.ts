/**
 * An OpenAI-compatible chat completions endpoint, as configured on the hub (LLM_ENDPOINTS).
 * Groups refer to one by name; its URL and key never come from a group.
 */
export interface LlmEndpoint {
  /** Base URL; the selector POSTs to `${url}/chat/completions`. */
  url: string;
  apiKey?: string;
  /** The model asked when a group names none. */
  model?: string;
  /** When set, the only models a group may ask this endpoint for. */
  models?: readonly string[];
  /**
   * How the answer's length is capped: `max_tokens` (older API, most compatible servers),
   * `max_completion_tokens` (OpenAI reasoning models refuse `max_tokens`), or `none`.
   */
  tokenLimitParam: 'max_tokens' | 'max_completion_tokens' | 'none';
  maxTokens: number;
  /** Sent as `temperature`; null leaves it out (reasoning models refuse anything but the default). */
  temperature: number | null;
  /** Ask for a JSON-schema answer (`response_format`) whose `speaker` is an enum of the candidates. */
  structuredOutput: boolean;
}

export const LLM_ENDPOINT_DEFAULTS = {
  tokenLimitParam: 'max_tokens',
  maxTokens: 20,
  temperature: 0,
  structuredOutput: false,
} as const satisfies Partial<LlmEndpoint>;

/** The endpoint name a group gets when it names none (and the one LLM_URL defines). */
export const DEFAULT_LLM_ENDPOINT = 'default';
