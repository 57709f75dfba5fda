import { spawn } from 'node:child_process';
import { Hono } from 'hono';
import type { Server, Socket } from 'socket.io';
import { Counter, Gauge, Histogram } from 'prom-client';
import { HEALTH_STATES, HubError, LivenessReport, ReplayReport, type HealthTransition, type Priority } from '@agent-hub/protocol';
import { DegradationController, HealthMonitor, type AgentControl, type EventBus, type SessionService } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { request } from '../sockets/handler.ts';
import { agentsNamespaceOf, localSocketsOf } from '../sockets/agents-namespace.ts';
import { hubPublisher } from './hub-topics.ts';
import { HEALTH_HISTORY } from './health-history.ts';
import type { LoadGate } from '../sockets/load-gate.ts';
import { z } from 'zod';

const NoInput = z.object({}).default({});
const PRIORITY_OF: Partial<Record<HealthTransition['to'], Priority>> = {
  failed: 'critical',
  zombie: 'high',
  disconnected: 'high',
  suspect: 'normal',
};

/**
 * Agent health: liveness probes over each agent's socket, zombie detection, recovery strategies,
 * graceful degradation; every health transition is published on `$hub:agent:<id>` (and `agent:<id>`).
 */
export function healthModule(
  ctx: HubContext,
  io: Server,
  bus: EventBus,
  sessions: SessionService,
  gate: LoadGate,
): HubModule & { onReplaced: (fn: (p: { from: string; to: string }) => void) => void } {
  const agentsNsp = agentsNamespaceOf(io);
  const log = ctx.logger.child({ module: 'health' });
  /** Each local agent's publish window depth, from its last liveness answer. */
  const windows = new Map<string, number>();
  const m = healthMetrics(ctx, windows);
  const history = ctx.healthHistory;
  const degradation = new DegradationController(ctx.clock, {
    failures: ctx.config.DEGRADE_FAILURES,
    windowMs: ctx.config.DEGRADE_WINDOW_MS,
    checkIntervalMs: ctx.config.DEGRADE_CHECK_INTERVAL_MS,
    recoverAfterMs: ctx.config.DEGRADE_RECOVER_AFTER_MS,
    recoverMaxFailures: ctx.config.DEGRADE_RECOVER_MAX_FAILURES,
    normalSessionLimit: ctx.config.SESSION_LIMIT,
    degradedSessionLimit: ctx.config.DEGRADED_SESSION_LIMIT,
  });
  /** This node's socket of one connection of the agent (by default the one it holds now). */
  const socketOf = (agentId: string, connectionId = ctx.agents.connectionOf(agentId)): Socket | undefined =>
    localSocketsOf(agentsNsp, agentId).find((s) => s.data.connectionId === connectionId);
  const control: AgentControl = {
    async probe(agentId, connectionId, timeoutMs) {
      const socket = socketOf(agentId, connectionId);
      if (!socket) throw new Error('connection gone');
      const raw = await socket.timeout(timeoutMs).emitWithAck('liveness:probe', { at: new Date().toISOString() });
      const parsed = LivenessReport.safeParse(raw);
      if (parsed.success && parsed.data.pendingPublishes !== undefined) windows.set(agentId, parsed.data.pendingPublishes);
      return parsed.success ? parsed.data : { ok: false, detail: 'malformed liveness report' };
    },
    restart(agentId, reason, connected) {
      m.restarts.inc();
      if (connected) socketOf(agentId)?.emit('agent:restart', { reason });
      else if (ctx.config.RESTART_COMMAND) runRestartHook(ctx.config.RESTART_COMMAND, agentId, log);
    },
  };
  const monitor = new HealthMonitor(
    ctx.agents,
    control,
    degradation,
    ctx.clock,
    {
      livenessIntervalMs: ctx.config.LIVENESS_INTERVAL_MS,
      livenessTimeoutMs: ctx.config.LIVENESS_TIMEOUT_MS,
      zombieAfter: ctx.config.ZOMBIE_AFTER_PROBES,
      recoveryTimeoutMs: ctx.config.RECOVERY_TIMEOUT_MS,
      // A pong read late because the hub's own loop stalled is the hub's failure, not the agent's.
      hubOverloaded: () => gate.overloadedWithin(ctx.config.HEARTBEAT_INTERVAL_MS + ctx.config.HEARTBEAT_TIMEOUT_MS),
      // More than 250 agents: each round over half an interval, in slices, not in one burst.
      probeSpreadMs: ctx.config.LIVENESS_INTERVAL_MS / 2,
      // A large fleet's rounds stretch so that probing costs the node a bounded share of a core.
      maxProbesPerSecond: ctx.config.LIVENESS_MAX_PROBES_PER_S,
    },
    log,
  );

  const publishAsHub = hubPublisher(bus, ctx.config.LEGACY_HUB_TOPICS);
  ctx.agents.on('transition', (t, origin) => {
    // Every node keeps the history of the agents it hears of (any node answers the API) ...
    history.record(t);
    // ... but only the node that saw the transition counts and publishes it: one transition, one event.
    if (origin !== 'local') return;
    m.transitions.inc({ to: t.to });
    void publishAsHub({ topic: `agent:${t.agentId}`, priority: PRIORITY_OF[t.to] ?? 'low', payload: { type: 'health', ...t } }).catch(
      (err) => log.warn({ err: String(err) }, 'health event not published'),
    );
  });
  m.round.set(ctx.config.LIVENESS_INTERVAL_MS / 1000);
  monitor.on('round', (r) => m.round.set(r.ms / 1000));
  monitor.on('detected', (d) => m.detect.observe({ kind: d.kind }, d.ms / 1000));
  monitor.on('recovered', () => m.recoveries.inc({ outcome: 'recovered' }));
  monitor.on('failed', () => m.recoveries.inc({ outcome: 'failed' }));
  monitor.on('replaced', ({ from, to }) => {
    m.recoveries.inc({ outcome: 'replaced' });
    void handOver(ctx, sessions, from, to, socketOf(to)).catch((err) => log.error({ err }, 'hand-over failed'));
  });
  degradation.on('change', (d) => {
    if (d.degraded) log.fatal({ reason: d.reason, sessionLimit: d.sessionLimit }, 'CRITICAL: entering degraded mode');
    else log.info({}, 'leaving degraded mode');
    ctx.state.set({
      degradedReason: d.reason,
      degradedSince: d.since ? new Date(d.since).toISOString() : null,
      sessionLimit: d.sessionLimit,
    });
  });

  return {
    name: 'health',
    onReplaced: (fn) => void monitor.on('replaced', fn),
    start() {
      monitor.start();
      degradation.start();
    },
    close() {
      monitor.close();
      degradation.close();
    },
    api(api) {
      const r = new Hono<HttpEnv>();
      r.get('/:id/health', (c) => {
        const agent = ctx.agents.get(c.req.param('id'));
        if (!agent) throw new HubError('AGENT_NOT_FOUND', `no agent ${c.req.param('id')}`);
        return c.json({ agent, history: history.of(agent.id) });
      });
      api.route('/agents', r);
      // Every agent's recent transitions, newest first: the dashboard's timeline starts full on load.
      api.get('/health/transitions', (c) => c.json({ items: history.recent(HEALTH_HISTORY) }));
      api.get('/degradation', (c) => c.json(degradation.current()));
    },
    agentEvents: {
      // Catching up after a recovery: more than half of the replay failing marks the agent degraded.
      'agent:replay-report': request(ReplayReport, ({ agentId, input }) => {
        const bad = input.replayed > 0 && input.failed * 2 > input.replayed;
        ctx.agents.setDegraded(agentId, bad ? `${input.failed} of ${input.replayed} replayed events failed` : null);
        if (bad) log.warn({ agentId, ...input }, 'agent degraded: most of its replay failed');
        const info = ctx.agents.get(agentId);
        // Registered on this connection (checked before the handler), so known here unless removed since.
        if (!info) throw new HubError('AGENT_NOT_REGISTERED', `agent "${agentId}" is no longer registered; register again`);
        return info;
      }),
      // The agent's saved state in each of its sessions, for restoring after a restart.
      'agent:restore': request(NoInput, async ({ agentId }) => {
        const page = await sessions.list({ kind: 'agent', id: agentId }, { limit: 500 });
        return page.items
          .filter((s) => s.state !== 'expired')
          .map((s) => ({ sessionId: s.id, version: s.version, state: s.agentState[agentId] ?? null }));
      }),
    },
  };
}

/** `replace`: the stand-in joins every live session of the failed agent and gets its state. */
async function handOver(ctx: HubContext, sessions: SessionService, from: string, to: string, socket: Socket | undefined) {
  const op = { kind: 'operator' } as const;
  const page = await sessions.list(op, { agent: from, limit: 500 });
  const moved: string[] = [];
  for (const s of page.items.filter((x) => x.state !== 'expired')) {
    await sessions.updateWith(op, s.id, (cur) => ({
      members: cur.members.includes(to) ? cur.members : [...cur.members, to],
      agentState: { agentId: to, state: cur.agentState[from] ?? null },
    }));
    moved.push(s.id);
  }
  socket?.emit('agent:assigned', { replaces: from, sessions: moved });
  ctx.logger.info({ from, to, sessions: moved.length }, 'agent replaced');
}

function runRestartHook(command: string, agentId: string, log: HubContext['logger']): void {
  const child = spawn(command, { shell: true, detached: true, stdio: 'ignore', env: { ...process.env, AGENT_ID: agentId } });
  child.on('error', (err) => log.error({ err: String(err), agentId }, 'restart hook failed'));
  child.unref();
}

function healthMetrics(ctx: HubContext, windows: Map<string, number>) {
  const registers = [ctx.metrics.registry];
  return {
    round: new Gauge({
      name: 'agenthub_liveness_round_seconds',
      help: 'Time between two liveness probes of one agent on this node: LIVENESS_INTERVAL_MS, or longer past LIVENESS_MAX_PROBES_PER_S',
      registers,
    }),
    windows: new Gauge({
      name: 'agenthub_agent_publish_window_depth',
      help: 'Publishes connected agents hold unconfirmed (SDK in-flight windows, from liveness answers): sum and max',
      labelNames: ['stat'],
      registers,
      collect() {
        let sum = 0;
        let max = 0;
        for (const [id, n] of windows) {
          if (!ctx.agents.isLocal(id) || !ctx.agents.get(id)?.connected) {
            windows.delete(id);
            continue;
          }
          sum += n;
          max = Math.max(max, n);
        }
        this.set({ stat: 'sum' }, sum);
        this.set({ stat: 'max' }, max);
      },
    }),
    status: new Gauge({
      name: 'agenthub_agents',
      help: 'Agents on this node (connected here or last seen here) by health state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = Object.fromEntries(HEALTH_STATES.map((s) => [s, 0]));
        // Local agents only: other nodes report theirs, so a sum over nodes counts each agent once.
        ctx.agents.forEachLocal((a) => counts[a.health]!++);
        for (const s of HEALTH_STATES) this.set({ state: s }, counts[s]!);
      },
    }),
    degraded: new Gauge({
      name: 'agenthub_degraded_mode',
      help: '1 while this node is in degraded mode (too many agent failures)',
      registers,
      collect() {
        this.set(ctx.state.degradedReason !== null ? 1 : 0);
      },
    }),
    transitions: new Counter({
      name: 'agenthub_agent_health_transitions_total',
      help: 'Health transitions',
      labelNames: ['to'],
      registers,
    }),
    restarts: new Counter({ name: 'agenthub_agent_restarts_requested_total', help: 'Restart requests and hooks run', registers }),
    recoveries: new Counter({ name: 'agenthub_agent_recoveries_total', help: 'Recovery outcomes', labelNames: ['outcome'], registers }),
    detect: new Histogram({
      name: 'agenthub_agent_failure_detection_seconds',
      help: 'Time from last sign of life to detection, in seconds',
      labelNames: ['kind'],
      buckets: [0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 20],
      registers,
    }),
  };
}
