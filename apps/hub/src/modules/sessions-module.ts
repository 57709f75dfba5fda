import { Hono } from 'hono';
import { z } from 'zod';
import { Gauge, Counter, Histogram } from 'prom-client';
import {
  AppendMessages,
  CreateSession,
  HistoryQuery,
  HubError,
  SESSION_STATES,
  SessionListQuery,
  SetAgentState,
  UpdateSession,
  Uuid,
} from '@agent-hub/protocol';
import { INT32_MAX } from '@agent-hub/protocol';
import { LifecycleSweeper, SessionService, WriteOutbox, uuidV7, type Actor } from '@agent-hub/core';
import { FileOutboxJournal } from './file-outbox-journal.ts';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody, queryOf } from '../http/body.ts';
import { parseOrThrow } from '../errors.ts';
import { request } from '../sockets/handler.ts';
import { isNetworkStore } from './network-stores.ts';

const IdRef = z.object({ id: Uuid });
// Built once: a schema built per connection cost ~4 % of the hub's CPU while a fleet connected.
const GetSession = IdRef.extend({ history: z.boolean().default(true) });
const UpdateSessionById = IdRef.extend(UpdateSession.shape);
const AppendById = IdRef.extend(AppendMessages.shape);
const SetStateById = IdRef.extend(SetAgentState.shape);
const OPERATOR: Actor = { kind: 'operator' };
const actor = (agentId: string): Actor => ({ kind: 'agent', id: agentId });
/** Sessions over HTTP (operators) and Socket.IO (agents, members only), one service behind both. */
export function sessionsModule(ctx: HubContext): HubModule & { service: SessionService } {
  const m = sessionMetrics(ctx);
  // Clients take `pending` as an answer: a network store that goes silent gets the write queued.
  const EDGE = { boundedWait: isNetworkStore(ctx.store.kind) };
  const log = ctx.logger.child({ module: 'sessions' });
  const outbox = new WriteOutbox(
    {
      store: ctx.store.sessions,
      journal: new FileOutboxJournal(ctx.config.DATA_DIR),
      clock: ctx.clock,
      log,
      ping: () => ctx.store.ping(),
    },
    {
      flushIntervalMs: ctx.config.STORE_FLUSH_INTERVAL_MS,
      alertAfterMs: ctx.config.STORE_ALERT_AFTER_MS,
      probeIntervalMs: ctx.config.STORE_PROBE_INTERVAL_MS,
      probeTimeoutMs: ctx.config.STORE_QUEUE_AFTER_MS,
    },
  );
  outbox.on('failure', () => m.writeFailures.inc());
  outbox.on('state', (st) => {
    m.queued.set(st.queued);
    m.degraded.set(st.failingSince !== null ? 1 : 0);
    m.alert.set(st.alert ? 1 : 0);
    ctx.storeHealth.set('sessions', st.failingSince !== null);
  });
  const service = new SessionService({
    outbox,
    queueAfterMs: ctx.config.STORE_QUEUE_AFTER_MS,
    boundedReads: EDGE.boundedWait,
    store: ctx.store.sessions,
    clock: ctx.clock,
    newId: uuidV7,
    cacheSize: ctx.config.SESSION_CACHE_SIZE,
    admission: () => admission(ctx),
    observe: (op, ms) => (op === 'restore' ? m.restore : m.save).observe(ms / 1000),
  });
  service.on('conflict', () => m.conflicts.inc());
  const sweeper = new LifecycleSweeper(
    ctx.store.sessions,
    ctx.clock,
    {
      idleAfterMs: ctx.config.SESSION_IDLE_AFTER_MS,
      expireAfterMs: ctx.config.SESSION_EXPIRE_AFTER_MS,
      retentionMs: ctx.config.SESSION_RETENTION_MS,
      intervalMs: ctx.config.SESSION_SWEEP_INTERVAL_MS,
    },
    log,
    // Lifecycle changes reach the dashboard like any other session change.
    (ids) => service.announceChanged(ids),
  );

  return {
    name: 'sessions',
    service,
    async start() {
      await outbox.start();
      sweeper.start();
    },
    async close() {
      await sweeper.close();
      await outbox.close();
    },

    api(api) {
      const r = new Hono<HttpEnv>();
      r.post('/', async (c) => c.json(await service.create(OPERATOR, await jsonBody(c, CreateSession), EDGE), 201));
      r.get('/', async (c) => c.json(await service.list(OPERATOR, queryOf(c, SessionListQuery))));
      r.get('/:id', async (c) => {
        const id = parseOrThrow(Uuid, c.req.param('id'));
        const history = c.req.query('history') !== 'false';
        const s = await service.get(OPERATOR, id, history);
        c.header('ETag', `"${s.version}"`);
        return c.json(s);
      });
      r.get('/:id/messages', async (c) => {
        const id = parseOrThrow(Uuid, c.req.param('id'));
        const q = queryOf(c, HistoryQuery);
        await service.get(OPERATOR, id, false);
        return c.json({ items: await ctx.store.sessions.getMessages(id, q.afterSeq, q.limit) });
      });
      r.patch('/:id', async (c) => {
        const id = parseOrThrow(Uuid, c.req.param('id'));
        const body = await jsonBody(c, UpdateSession.partial({ version: true }));
        const version = ifMatch(c.req.header('if-match')) ?? body.version;
        if (version === undefined) throw new HubError('VALIDATION_FAILED', 'send If-Match: <version> or "version" in the body');
        const s = await service.update(OPERATOR, id, version, { metadata: body.metadata, members: body.members, state: body.state });
        c.header('ETag', `"${s.version}"`);
        return c.json(s);
      });
      r.post('/:id/messages', async (c) => {
        const id = parseOrThrow(Uuid, c.req.param('id'));
        const body = await jsonBody(c, AppendMessages);
        const version = ifMatch(c.req.header('if-match')) ?? body.version;
        return c.json(await service.append(OPERATOR, id, version, body.messages, EDGE), 201);
      });
      r.put('/:id/agents/:agentId/state', async (c) => {
        const id = parseOrThrow(Uuid, c.req.param('id'));
        const body = await jsonBody(c, SetAgentState);
        const version = ifMatch(c.req.header('if-match')) ?? body.version;
        return c.json(await service.setAgentState(OPERATOR, id, version, c.req.param('agentId'), body.state));
      });
      r.delete('/:id', async (c) => {
        await service.remove(OPERATOR, parseOrThrow(Uuid, c.req.param('id')));
        return c.body(null, 204);
      });
      api.route('/sessions', r);
    },

    agentEvents: {
      'session:create': request(CreateSession, ({ agentId, input }) => service.create(actor(agentId), input, EDGE)),
      'session:get': request(GetSession, ({ agentId, input }) => service.get(actor(agentId), input.id, input.history)),
      'session:list': request(SessionListQuery, ({ agentId, input }) => service.list(actor(agentId), input)),
      'session:update': request(UpdateSessionById, ({ agentId, input }) =>
        service.update(actor(agentId), input.id, input.version, { metadata: input.metadata, members: input.members, state: input.state }),
      ),
      'session:append': request(AppendById, ({ agentId, input }) =>
        service.append(actor(agentId), input.id, input.version, input.messages, EDGE),
      ),
      'session:state': request(SetStateById, ({ agentId, input }) =>
        service.setAgentState(actor(agentId), input.id, input.version, agentId, input.state),
      ),
    },

    operatorFeed(nsp) {
      service.on('updated', (s) => nsp.emit('session:update', s));
      service.on('removed', (p) => nsp.emit('session:removed', p));
    },
  };
}

/** Degraded mode pauses new sessions; otherwise active sessions are capped at the session limit. */
async function admission(ctx: HubContext) {
  const status = ctx.state.status();
  if (status.degraded) {
    return { code: 'HUB_DEGRADED' as const, message: `new sessions are paused: ${status.degradedReason}` };
  }
  if (status.sessionLimit > 0) {
    const { active } = await ctx.store.sessions.countByState();
    if (active >= status.sessionLimit) {
      return { code: 'SESSION_LIMIT_REACHED' as const, message: `${active} active sessions; the limit is ${status.sessionLimit}` };
    }
  }
  return null;
}

function ifMatch(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const n = Number(header.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(n) || n < 1 || n > INT32_MAX)
    throw new HubError('VALIDATION_FAILED', `If-Match must be a session version number (1..${INT32_MAX})`);
  return n;
}

function sessionMetrics(ctx: HubContext) {
  const registers = [ctx.metrics.registry];
  const buckets = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
  const gauge = new Gauge({
    name: 'agenthub_store_sessions',
    help: 'Sessions in the shared store by lifecycle state (cluster-wide: exported by the lease-holding node only)',
    labelNames: ['state'],
    registers,
    async collect() {
      // The store is shared: one node reports it, so a sum over nodes counts each session once.
      if (ctx.cluster && !ctx.cluster.leads()) return this.reset();
      try {
        const counts = await ctx.store.sessions.countByState();
        for (const s of SESSION_STATES) this.set({ state: s }, counts[s] ?? 0);
      } catch {
        // store down: keep the last figures; agenthub_store_degraded says why
      }
    },
  });
  return {
    gauge,
    save: new Histogram({ name: 'agenthub_session_save_duration_seconds', help: 'Session write latency in seconds', buckets, registers }),
    restore: new Histogram({
      name: 'agenthub_session_restore_duration_seconds',
      help: 'Session read (restore) latency in seconds',
      buckets,
      registers,
    }),
    conflicts: new Counter({ name: 'agenthub_session_conflicts_total', help: 'Writes refused for a stale version', registers }),
    writeFailures: new Counter({
      name: 'agenthub_store_write_failures_total',
      help: 'Queued session writes that failed to apply',
      registers,
    }),
    degraded: new Gauge({
      name: 'agenthub_store_degraded',
      help: '1 while session writes are queued because the store is down',
      registers,
    }),
    alert: new Gauge({
      name: 'agenthub_store_degraded_alert',
      help: '1 once the store has been failing past STORE_ALERT_AFTER_MS',
      registers,
    }),
    queued: new Gauge({ name: 'agenthub_store_outbox_queued_writes', help: "Session writes waiting in this node's outbox", registers }),
  };
}
