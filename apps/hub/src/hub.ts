import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Server as SocketServer } from 'socket.io';
import { AgentDirectory, setListenerErrorHandler, systemClock, type Clock, type Logger, type Store } from '@agent-hub/core';
import { openStore } from '@agent-hub/store';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';
import type { HubConfig } from './config.ts';
import type { HubAdapter, HubContext } from './context.ts';
import { HubState, StoreHealth } from './hub-state.ts';
import { HUB_VERSION } from './version.ts';
import { createLogger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { loadOrCreateSecret } from './auth/operator-token.ts';
import { AgentTokens } from './auth/agent-token.ts';
import { OperatorCredentials } from './auth/operator-credentials.ts';
import { TrustedProxies } from './auth/client-address.ts';
import { SignInGuard, refuseLockedOut } from './auth/sign-in-guard.ts';
import { SignInLimiter } from './auth/sign-in-limiter.ts';
import { AgentAuth } from './auth/agent-auth.ts';
import { AgentTokensV2 } from './auth/agent-token-v2.ts';
import { AgentRevocations } from './auth/agent-revocations.ts';
import { parseAgentKeys, singleKeyRing } from './auth/agent-keys.ts';
import { createHttpApp } from './http/app.ts';
import { createAgentsNamespace } from './sockets/agents-namespace.ts';
import { createOperatorsNamespace } from './sockets/operators-namespace.ts';
import type { HubModule } from './module.ts';
import { buildModules } from './modules.ts';
import { attachRedisAdapter, type RedisLink } from './cluster/redis-adapter.ts';
import { ClusterMembership } from './cluster/cluster-membership.ts';
import { HealthHistory } from './modules/health-history.ts';
import { RegisterRate, spreadReconnects } from './sockets/reconnect-spread.ts';
import { LoadGate } from './sockets/load-gate.ts';
import { watchSlowConsumers } from './sockets/slow-consumers.ts';
import { StartupError, describeError, redactUrl } from './startup/index.ts';

export interface Hub {
  ctx: HubContext;
  url: string;
  port: number;
  /** Set when the operator token was made at this start (print the dashboard URL once). */
  operatorTokenCreated: boolean;
  /** The capabilities wired in (tests reach a module's service through it). */
  modules: readonly HubModule[];
  close(reason?: string): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Use this store instead of opening one from the config (tests). */
  store?: Store;
}

/** Composition root: config → store → services → HTTP + Socket.IO on one server → listen. */
export async function startHub(config: HubConfig, opts: StartOptions = {}): Promise<Hub> {
  const node = config.NODE_ID ?? `${hostname()}-${process.pid}`;
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, node);
  setListenerErrorHandler((event, err) => logger.error({ err, event }, 'event listener failed'));
  const clock = opts.clock ?? systemClock;
  const metrics = createMetrics();
  const [operator, agentSecret] = await Promise.all([
    loadOrCreateSecret(config.DATA_DIR, 'operator-token', config.HUB_TOKEN),
    loadOrCreateSecret(config.DATA_DIR, 'agent-secret', config.AGENT_SECRET),
  ]);
  const store =
    opts.store ??
    (await openStore({
      kind: config.storeKind,
      dataDir: config.DATA_DIR,
      pgliteIsolation: config.PGLITE_ISOLATION,
      databaseUrl: config.DATABASE_URL,
      redisUrl: config.REDIS_URL,
      redisKeyPrefix: `${config.REDIS_PREFIX}store:`,
    }).catch((err: unknown): never => {
      throw storeStartupError(config, err);
    }));
  const state = new HubState(HUB_VERSION, node, config.SESSION_LIMIT);
  const agents = new AgentDirectory({
    store: store.agents,
    clock,
    node,
    defaultRecovery: config.DEFAULT_RECOVERY,
    log: logger.child({ module: 'agents' }),
  });
  const keys = config.AGENT_KEYS ? parseAgentKeys(config.AGENT_KEYS) : null;
  const agentTokens = new AgentTokens(agentSecret.value);
  const agentAuth = new AgentAuth({
    legacy: agentTokens,
    v2: new AgentTokensV2(keys && 'ring' in keys ? keys.ring : singleKeyRing(agentSecret.value)),
    revocations: new AgentRevocations(store.kv, {
      maxTtlMs: config.AGENT_TOKEN_MAX_TTL_MS,
      legacyTokens: config.LEGACY_AGENT_TOKENS,
      logger: logger.child({ module: 'auth' }),
    }),
    acceptLegacy: config.LEGACY_AGENT_TOKENS,
    defaultTtlMs: config.AGENT_TOKEN_TTL_MS,
    maxTtlMs: config.AGENT_TOKEN_MAX_TTL_MS,
    registry: metrics.registry,
  });
  const io = new SocketServer({
    // The heartbeat: a frozen or cut-off agent misses a pong and is dropped within interval + timeout.
    pingInterval: config.HEARTBEAT_INTERVAL_MS,
    pingTimeout: config.HEARTBEAT_TIMEOUT_MS,
    // Hard cap well above the per-event limit, so an oversize event gets a typed error, not a cut line.
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES * 4,
    serveClient: false,
    cors: { origin: false },
  });
  const redis = config.REDIS_URL ? attachRedisAdapter(io, config.REDIS_URL, config.REDIS_PREFIX, node, logger) : null;
  const adapter: HubAdapter = {
    kind: redis ? 'redis' : 'memory',
    ok: () => redis?.ok() ?? true,
    status: () => redis?.status() ?? 'local',
    onRecovered: (fn) => redis?.onRecovered(fn),
    relay: redis?.relay ?? null,
  };
  // Several nodes on one Redis: the node registry and group lease (started by the cluster module).
  const membership = config.REDIS_URL
    ? new ClusterMembership({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        node,
        ttlMs: config.NODE_TTL_MS,
        agents,
        log: logger.child({ module: 'cluster' }),
      })
    : undefined;
  const ctx: HubContext = {
    config,
    logger,
    metrics,
    clock,
    store,
    state,
    storeHealth: new StoreHealth(state),
    agents,
    agentTokens,
    agentAuth,
    operatorToken: operator.value,
    operators: new OperatorCredentials(store.kv, operator.value, clock),
    signIns: new SignInGuard(
      new SignInLimiter({ clock, maxFailures: config.AUTH_FAILURES_MAX, windowMs: config.AUTH_FAILURE_WINDOW_MS }),
      new TrustedProxies(config.TRUSTED_PROXIES),
      metrics,
    ),
    startedAt: clock.now(),
    adapter,
    healthHistory: new HealthHistory(),
    cluster: membership,
  };

  const gate = new LoadGate({ lagMs: config.OVERLOAD_LAG_MS });
  const { modules, audit } = buildModules(ctx, io, gate, membership);
  for (const m of modules) await m.start?.();

  const app = createHttpApp(
    ctx,
    modules.flatMap((m) => (m.api ? [m.api] : [])),
    audit,
  );
  const server = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
  io.attach(server);
  const registerRate = new RegisterRate();
  // Before the namespace's own check: an address locked out by failed sign-ins is not even verified.
  io.of(AGENTS_NAMESPACE).use(refuseLockedOut(ctx, 'agent'));
  createAgentsNamespace(
    io,
    ctx,
    modules.flatMap((m) => (m.agentEvents ? [m.agentEvents] : [])),
    {
      onConnected: (s) => modules.forEach((m) => m.onAgentConnected?.(s)),
      onClosed: (s) => modules.forEach((m) => m.onAgentClosed?.(s)),
      onRegistered: (s, id) => {
        registerRate.record();
        modules.forEach((m) => m.onAgentRegistered?.(s, id));
      },
      onDisconnected: (s, id, r) => modules.forEach((m) => m.onAgentDisconnected?.(s, id, r)),
    },
  );
  createOperatorsNamespace(
    io,
    ctx,
    modules.flatMap((m) => (m.operatorFeed ? [m.operatorFeed] : [])),
    audit,
  );
  const slowConsumers = watchSlowConsumers(io, ctx, {
    maxPackets: config.SLOW_CONSUMER_MAX_PACKETS,
    maxBytes: config.SLOW_CONSUMER_MAX_BYTES,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' ? new StartupError('PORT', String(config.PORT), `port ${config.PORT} on ${config.HOST} is in use`) : err,
      ),
    );
    server.listen({ port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${shownHost}:${port}`;
  state.set({ phase: 'ready' });
  logger.info({ url, store: store.kind, version: HUB_VERSION }, 'hub listening');

  let closing: Promise<void> | null = null;
  const close = (reason = 'shutdown') =>
    (closing ??= shutdown({
      ctx,
      io,
      server,
      modules,
      reason,
      redis,
      registerRate,
      stopWatches: () => (gate.close(), slowConsumers.close()),
    }));
  return { ctx, url, port, operatorTokenCreated: operator.created, modules, close };
}

/** Names the setting behind a store that would not open. */
function storeStartupError(config: HubConfig, err: unknown): StartupError {
  const cause = `${config.storeKind} store did not open: ${describeError(err)}`;
  if (config.storeKind === 'postgres') return new StartupError('DATABASE_URL', redactUrl(config.DATABASE_URL ?? ''), cause);
  if (config.storeKind === 'redis') return new StartupError('REDIS_URL', redactUrl(config.REDIS_URL ?? ''), cause);
  return new StartupError('DATA_DIR', config.DATA_DIR, cause);
}

interface ShutdownParts {
  ctx: HubContext;
  io: SocketServer;
  server: HttpServer;
  modules: HubModule[];
  reason: string;
  redis: RedisLink | null;
  registerRate: RegisterRate;
  stopWatches: () => void;
}

/**
 * Graceful stop: refuse new work, tell agents, flush what was accepted, close the store. Agents
 * are told first so they reconnect elsewhere (or back to us after a restart) without waiting.
 */
async function shutdown({ ctx, io, server, modules, reason, redis, registerRate, stopWatches }: ShutdownParts): Promise<void> {
  const log = ctx.logger;
  stopWatches();
  ctx.state.set({ phase: 'shutting-down' });
  log.info({ reason }, 'hub shutting down');
  const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  const agents = [...io.of('/agents').sockets.values()];
  const rate = Math.max(ctx.config.RECONNECT_RATE, registerRate.peak);
  const delays = spreadReconnects(agents.length, rate, ctx.config.RECONNECT_BASE_MS);
  agents.forEach((s, i) => s.emit('hub:shutdown', { reason, reconnectAfterMs: delays[i]! }));
  log.info(
    { agents: agents.length, ratePerSec: rate, spreadMs: delays.reduce((m, d) => Math.max(m, d - ctx.config.RECONNECT_BASE_MS), 0) },
    'agents told to reconnect',
  );
  // Close the transport, not the namespace: socket.io-client treats a namespace disconnect
  // ("io server disconnect") as final and never reconnects, while a closed transport ("transport
  // close") is retried by every deployed client. Engine.IO sends what is buffered (the notice) first.
  for (const s of [...agents, ...io.of('/operators').sockets.values()]) s.conn.close();
  for (const m of [...modules].reverse()) {
    try {
      await m.close?.();
    } catch (err) {
      log.error({ err, module: m.name }, 'module failed to close');
    }
  }
  await new Promise<void>((resolve) => io.close(() => resolve()));
  server.closeAllConnections?.();
  await httpClosed;
  await redis?.close();
  await ctx.agents.drainRecords().catch((err) => log.warn({ err: String(err) }, 'agent records not stored before stopping'));
  await ctx.store.close();
  ctx.agents.removeAll();
  ctx.state.removeAll();
  log.info({}, 'hub stopped');
}
