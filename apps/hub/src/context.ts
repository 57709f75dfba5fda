import type { AgentDirectory, Clock, Logger, Store } from '@agent-hub/core';
import type { AgentInfo, HealthTransition } from '@agent-hub/protocol';
import type { HubConfig } from './config.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AgentTokens } from './auth/agent-token.ts';
import type { OperatorCredentials } from './auth/operator-credentials.ts';
import type { SignInGuard } from './auth/sign-in-guard.ts';
import type { AgentAuth } from './auth/agent-auth.ts';
import type { HubState, StoreHealth } from './hub-state.ts';

/** Everything the edges (HTTP routes, socket namespaces) need, built once by the composition root. */
export interface HubContext {
  config: HubConfig;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  store: Store;
  state: HubState;
  /** Which parts of the hub currently cannot write to the store. */
  storeHealth: StoreHealth;
  agents: AgentDirectory;
  agentTokens: AgentTokens;
  /** Agent credentials: v2 tokens, legacy ones, revocations. */
  agentAuth: AgentAuth;
  /** The built-in admin token (HUB_TOKEN or DATA_DIR/operator-token). */
  operatorToken: string;
  /** Every operator credential: the built-in one and the named, scoped ones kept in the store. */
  operators: OperatorCredentials;
  /** Failed sign-ins per client address, on every transport. */
  signIns: SignInGuard;
  startedAt: number;
  /** The Socket.IO adapter: in-memory (one node) or Redis (several). */
  adapter: { kind: 'memory' | 'redis'; ok(): boolean; status(): string; onRecovered(fn: (downSince: number) => void): void };
  /** The last health transitions of an agent (set by the health module). */
  healthHistory?: (agentId: string) => HealthTransition[];
  /** Set when several nodes share Redis: the cluster-wide agent view and node list; `leads` while this node holds the lease. */
  cluster?: { ok(): boolean; nodes(): Promise<string[]>; agents(): Promise<AgentInfo[]>; leads(): boolean };
}
