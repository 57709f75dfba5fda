import { isIP } from 'node:net';
import { z } from 'zod';
import { LIMITS } from '@agent-hub/protocol';
import { TASK_LEASE_DEFAULT_MS, type LlmEndpoint } from '@agent-hub/core';
import { llmEndpointsOf } from './llm-endpoints.ts';
import { parseAgentKeys } from './auth/agent-keys.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const ms = (def: number) => z.coerce.number().int().min(1).default(def);
/** `10.0.0.1, 10.1.0.0/16, ::1`: what TRUSTED_PROXIES takes. */
function isAddressList(v: string): boolean {
  return v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .every((e) => {
      const [addr = '', bits, extra] = e.split('/');
      const family = isIP(addr);
      if (!family || extra !== undefined) return false;
      return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
    });
}
const count = (def: number) => z.coerce.number().int().min(0).default(def);

/**
 * Every setting of the hub, from environment variables, validated once at start. The names and
 * defaults are documented in docs/configuration.md and .env.example; keep the three in step.
 */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Loopback unless told otherwise, so a quick start is not open to the network (the Docker image sets 0.0.0.0). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Connections the kernel queues for the hub to accept. Node's default (511) overflows when
   * thousands of agents reconnect at once: the kernel then drops their handshakes and they retry
   * seconds later. The kernel caps it at net.core.somaxconn.
   */
  LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65535).default(4096),
  DATA_DIR: z.string().min(1).default('./data'),
  STORE: z.enum(['pglite', 'postgres', 'redis', 'file', 'memory']).optional(),
  /** Where the embedded PGlite database runs: a worker thread of the hub (default) or a child process. */
  PGLITE_ISOLATION: z.enum(['thread', 'process']).default('thread'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  /** Namespaces every Redis key and channel, so several clusters can share one Redis. */
  /** A node whose heartbeat key is older than this is dead; its agents are marked disconnected. */
  NODE_TTL_MS: ms(5000),
  REDIS_PREFIX: z.string().min(1).max(64).default('agent-hub:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HUB_TOKEN: z.string().min(16, 'HUB_TOKEN must be at least 16 characters').optional(),
  AGENT_SECRET: z.string().min(16, 'AGENT_SECRET must be at least 16 characters').optional(),
  /** Agent token signing keys, `kid=secret,…`; the first signs, all verify (see operations.md, Credentials). */
  AGENT_KEYS: z.string().min(1).optional(),
  /** Lifetime of an agent token issued without `ttlSeconds`, and the most one may ask for. */
  AGENT_TOKEN_TTL_MS: ms(24 * 60 * 60_000),
  AGENT_TOKEN_MAX_TTL_MS: ms(30 * 24 * 60 * 60_000),
  /** A live connection whose token expired is closed this long after, unless refreshed (`auth:refresh`). */
  AGENT_TOKEN_GRACE_MS: count(30_000),
  /** Accept the old never-expiring `ah1` agent tokens (counted in agenthub_legacy_agent_tokens_total). */
  LEGACY_AGENT_TOKENS: bool.default(true),
  /** Publish the hub's events on their old topics (`agent:<id>`, `group:<id>`) too, besides `$hub:…`. */
  LEGACY_HUB_TOPICS: bool.default(true),
  NODE_ID: z.string().min(1).max(64).optional(),
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-For is believed (comma-separated); none by default. */
  TRUSTED_PROXIES: z.string().default('').refine(isAddressList, 'must be addresses or CIDR ranges (10.0.0.0/8), comma-separated'),
  /** Failed sign-ins (HTTP bearer or socket handshake) one address may make per window before it is refused with RATE_LIMITED. */
  AUTH_FAILURES_MAX: z.coerce.number().int().min(1).default(10),
  AUTH_FAILURE_WINDOW_MS: ms(60_000),
  HTTP_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(LIMITS.httpMaxBytes),
  SOCKET_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(LIMITS.socketMaxBytes),
  HEARTBEAT_INTERVAL_MS: ms(1500),
  HEARTBEAT_TIMEOUT_MS: ms(1500),
  LIVENESS_INTERVAL_MS: ms(5000),
  LIVENESS_TIMEOUT_MS: ms(3000),
  /**
   * Liveness probes this node sends per second at most, on average (0: no bound). A fleet of more
   * than this times LIVENESS_INTERVAL_MS / 1000 agents is probed less often: each round then lasts
   * agents / this seconds.
   */
  LIVENESS_MAX_PROBES_PER_S: z.coerce.number().int().min(0).default(500),
  SHUTDOWN_TIMEOUT_MS: ms(10_000),
  /** On a graceful stop each agent is told to reconnect after this, plus its place in the spread. */
  RECONNECT_BASE_MS: count(1000),
  /** Event-loop delay (ms) above which new publishes are refused with RATE_LIMITED (heartbeats share the loop). */
  OVERLOAD_LAG_MS: ms(150),
  /** Packets waiting to be written to one agent above which it is a slow consumer and is disconnected. */
  SLOW_CONSUMER_MAX_PACKETS: z.coerce.number().int().min(10).default(10_000),
  /**
   * Bytes waiting to be written to one agent above which it is a slow consumer too (NATS's default
   * max_pending is 64 MB): one packet may carry many events.
   */
  SLOW_CONSUMER_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(64 * 1024 * 1024),
  /** Registrations per second a node is assumed to take when spreading a fleet's reconnects (at least). */
  RECONNECT_RATE: z.coerce.number().int().min(1).default(200),
  DASHBOARD_DIR: z.string().optional(),
  SESSION_IDLE_AFTER_MS: ms(30 * 60_000),
  SESSION_EXPIRE_AFTER_MS: ms(24 * 60 * 60_000),
  SESSION_RETENTION_MS: ms(7 * 24 * 60 * 60_000),
  SESSION_SWEEP_INTERVAL_MS: ms(5 * 60_000),
  SESSION_CACHE_SIZE: count(1000),
  SESSION_LIMIT: count(100),
  STORE_FLUSH_INTERVAL_MS: ms(60_000),
  STORE_ALERT_AFTER_MS: ms(5 * 60_000),
  /** PostgreSQL/Redis: an unversioned session write unanswered this long, with a ping unanswered as long, is queued (`pending`). */
  STORE_QUEUE_AFTER_MS: ms(500),
  /** While writes are queued, the store is pinged this often (±50%) so that draining starts as soon as it answers. */
  STORE_PROBE_INTERVAL_MS: ms(500),
  EVENT_RETENTION_MS: ms(24 * 60 * 60_000),
  EVENT_CLEANUP_INTERVAL_MS: ms(60 * 60_000),
  EVENT_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
  EVENT_BATCH_DELAY_MS: count(2),
  REPLAY_POLICY_FILE: z.string().optional(),
  DEFAULT_REPLAY_POLICY: z.enum(['none', 'full', 'critical-only']).default('critical-only'),
  RECOVERY_TIMEOUT_MS: ms(30_000),
  ZOMBIE_AFTER_PROBES: z.coerce.number().int().min(1).default(2),
  RESTART_COMMAND: z.string().optional(),
  DEFAULT_RECOVERY: z.enum(['restart', 'replace', 'alert']).default('restart'),
  DEGRADE_FAILURES: count(3),
  DEGRADE_WINDOW_MS: ms(30_000),
  DEGRADE_CHECK_INTERVAL_MS: ms(60_000),
  DEGRADE_RECOVER_AFTER_MS: ms(120_000),
  DEGRADE_RECOVER_MAX_FAILURES: count(2),
  DEGRADED_SESSION_LIMIT: count(50),
  /** A group task claim lapses (the task goes back to the queue) unless extended within this long. */
  GROUP_TASK_LEASE_MS: ms(TASK_LEASE_DEFAULT_MS),
  LLM_URL: z.string().url().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_API_KEY: z.string().optional(),
  /** Default budget of one llm speaker selection; a group may set its own (`llm.budgetMs`). */
  LLM_TIMEOUT_MS: ms(100),
  /** Named LLM endpoints as JSON (see docs/configuration.md); groups refer to them by name. */
  LLM_ENDPOINTS: z.string().optional(),
  /** The same JSON, read from this file at start. */
  LLM_ENDPOINTS_FILE: z.string().optional(),
  PRETTY_LOGS: bool.default(false),
  /** How often the dashboard's charts get a sample of this node (15 minutes of them are kept). */
  METRICS_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
});

export type HubConfig = z.infer<typeof ConfigSchema> & {
  storeKind: 'pglite' | 'postgres' | 'redis' | 'file' | 'memory';
  /** LLM_ENDPOINTS (or its file) plus LLM_URL as `default`, keyed by name. */
  llmEndpoints: Record<string, LlmEndpoint>;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the config from an env-like record; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): HubConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '?');
        return `${key}=${JSON.stringify(env[key] ?? '')}: ${i.message}`;
      }),
    );
  }
  const c = parsed.data;
  const storeKind = c.STORE ?? (c.DATABASE_URL ? 'postgres' : 'pglite');
  if (storeKind === 'postgres' && !c.DATABASE_URL) {
    throw new ConfigError(['STORE=postgres needs DATABASE_URL']);
  }
  if (storeKind === 'redis' && !c.REDIS_URL) {
    throw new ConfigError(['STORE=redis needs REDIS_URL']);
  }
  if (c.AGENT_KEYS) {
    const keys = parseAgentKeys(c.AGENT_KEYS);
    if ('problem' in keys) throw new ConfigError([`AGENT_KEYS: ${keys.problem}`]);
  }
  if (c.AGENT_TOKEN_TTL_MS > c.AGENT_TOKEN_MAX_TTL_MS) throw new ConfigError(['AGENT_TOKEN_TTL_MS must not exceed AGENT_TOKEN_MAX_TTL_MS']);
  const llm = llmEndpointsOf(c, env);
  if (llm.problems.length) throw new ConfigError(llm.problems);
  return { ...c, storeKind, llmEndpoints: llm.endpoints };
}
