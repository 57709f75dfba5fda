import type { AgentDirectory, Clock, Logger, Store } from '@agent-hub/core';
import type { HubConfig } from './config.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AgentTokens } from './auth/agent-token.ts';
import type { OperatorCredentials } from './auth/operator-credentials.ts';
import type { SignInGuard } from './auth/sign-in-guard.ts';
import type { AgentAuth } from './auth/agent-auth.ts';
import type { HubState, StoreHealth } from './hub-state.ts';
import type { HealthHistory } from './modules/health-history.ts';
import type { ClusterView } from './cluster/cluster-membership.ts';
import type { EventRelay } from './cluster/event-relay.ts';

/**
 * Everything the edges (HTTP routes, socket namespaces) and the modules need, built whole by the
 * composition root before any module is built: nothing is added or replaced afterwards.
 */
export interface HubContext {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly store: Store;
  readonly state: HubState;
  /** Which parts of the hub currently cannot write to the store. */
  readonly storeHealth: StoreHealth;
  readonly agents: AgentDirectory;
  readonly agentTokens: AgentTokens;
  /** Agent credentials: v2 tokens, legacy ones, revocations. */
  readonly agentAuth: AgentAuth;
  /** The built-in admin token (HUB_TOKEN or DATA_DIR/operator-token). */
  readonly operatorToken: string;
  /** Every operator credential: the built-in one and the named, scoped ones kept in the store. */
  readonly operators: OperatorCredentials;
  /** Failed sign-ins per client address, on every transport. */
  readonly signIns: SignInGuard;
  readonly startedAt: number;
  /** The Socket.IO adapter: in-memory (one node) or Redis (several). */
  readonly adapter: HubAdapter;
  /** The last health transitions of each agent (recorded by the health module). */
  readonly healthHistory: HealthHistory;
  /** Present when several nodes share Redis: the cluster-wide agent view and node list; `leads` while this node holds the lease. */
  readonly cluster?: ClusterView;
}

/** What the hub needs of its Socket.IO adapter. */
export interface HubAdapter {
  readonly kind: 'memory' | 'redis';
  ok(): boolean;
  status(): string;
  onRecovered(fn: (downSince: number) => void): void;
  /** With Redis: carries published events to the other nodes in batches (null on one node). */
  readonly relay: EventRelay | null;
}
