import { Hono } from 'hono';
import { z } from 'zod';
import type { Server } from 'socket.io';
import { Counter, Gauge, Histogram } from 'prom-client';
import {
  AckEvents,
  AGENTS_NAMESPACE,
  NackEvent,
  OPERATORS_NAMESPACE,
  PublishEvent,
  ReplayQuery,
  Subscribe,
  TopicPattern,
  Unsubscribe,
} from '@agent-hub/protocol';
import { EventBus, topicRoom, uuidV4, type OffsetAllocator } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody, queryOf } from '../http/body.ts';
import { onCall, onSignal } from '../sockets/handler.ts';
import { loadReplayPolicies } from './replay-policies.ts';
import { LatencyMonitor } from './latency-monitor.ts';

const REPLAY_PAGE = 2000;
const LATENCY_BUCKETS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 25, 50, 100, 250, 1000];

/** The event bus over Socket.IO rooms and HTTP, with the persisted log, replay and dead letters. */
export function eventsModule(ctx: HubContext, io: Server, offsets?: OffsetAllocator): HubModule & { bus: EventBus } {
  const policies = loadReplayPolicies(ctx.config.REPLAY_POLICY_FILE, ctx.config.DEFAULT_REPLAY_POLICY);
  const registers = [ctx.metrics.registry];
  const latency = new Histogram({ name: 'event_propagation_latency_ms', help: 'Publish to subscriber receipt (reported by SDK acks)', buckets: LATENCY_BUCKETS, registers });
  const throughput = new Counter({ name: 'event_throughput', help: 'Events published', labelNames: ['priority'], registers });
  const deadLetters = new Counter({ name: 'event_dead_letters_total', help: 'Events dead-lettered by subscribers', registers });
  const storeDown = new Gauge({ name: 'event_log_degraded', help: '1 while the event log cannot be written', registers });
  const monitor = new LatencyMonitor(ctx.logger.child({ module: 'events' }));
  const agents = io.of(AGENTS_NAMESPACE);
  const operators = io.of(OPERATORS_NAMESPACE);

  const bus = new EventBus({
    log: ctx.store.events,
    clock: ctx.clock,
    newId: uuidV4,
    logger: ctx.logger.child({ module: 'events' }),
    batchMax: ctx.config.EVENT_BATCH_MAX,
    batchDelayMs: ctx.config.EVENT_BATCH_DELAY_MS,
    policyFor: policies.policyFor,
    offsets,
    fanout: {
      deliver(event, rooms) {
        agents.to(rooms).emit('event', event);
        // The live stream is a view for the dashboards on this node; sending every event through the
        // Redis adapter a second time (for operators elsewhere) would double the cluster's traffic.
        operators.local.to(rooms).emit('event:stream', event);
      },
    },
    onStoreState: (down) => {
      storeDown.set(down ? 1 : 0);
      ctx.storeHealth.set('events', down);
    },
  });
  bus.on('published', (e) => throughput.inc({ priority: e.priority }));
  bus.on('deadLetter', (d) => {
    deadLetters.inc();
    operators.emit('deadletter:new', d);
  });

  const timers: ReturnType<typeof setInterval>[] = [];

  return {
    name: 'events',
    bus,
    async start() {
      await bus.start();
      // Broadcasts from other nodes were lost while Redis was away; each local subscriber gets
      // what the log holds for its patterns since the outage began (the SDK drops ids it has).
      ctx.adapter.onRecovered((downSince) => {
        for (const socket of agents.sockets.values()) {
          const patterns = [...socket.rooms].filter((r) => r.startsWith('t:')).map((r) => r.slice(2));
          if (!patterns.length) continue;
          void bus
            .query({ from: downSince - 1000, patterns, limit: 100_000 })
            .then((events) => events.length && socket.emit('events', events))
            .catch((err) => ctx.logger.warn({ err: String(err) }, 'resync after redis outage failed'));
        }
      });
      timers.push(setInterval(() => monitor.tick(), 60_000));
      timers.push(
        setInterval(() => {
          bus.cleanup(ctx.config.EVENT_RETENTION_MS, policies.retention).then(
            (n) => n && ctx.logger.info({ removed: n }, 'event retention cleanup'),
            (err) => ctx.logger.warn({ err: String(err) }, 'event retention cleanup failed'),
          );
        }, ctx.config.EVENT_CLEANUP_INTERVAL_MS),
      );
      timers.forEach((t) => t.unref());
    },
    async close() {
      timers.forEach(clearInterval);
      await bus.close();
    },

    api(api) {
      const r = new Hono<HttpEnv>();
      r.post('/', async (c) => {
        const input = await jsonBody(c, PublishEvent);
        return c.json(await bus.publish('operator', input), 201);
      });
      r.get('/', async (c) => {
        const raw = c.req.query();
        const q = queryOf(c, ReplayQuery.extend({ patterns: z.string().optional() }));
        const patterns = raw.patterns ? z.array(TopicPattern).parse(raw.patterns.split(',')) : undefined;
        const items = await bus.query({
          afterOffset: q.afterOffset,
          from: q.from ? Date.parse(q.from) : undefined,
          to: q.to ? Date.parse(q.to) : undefined,
          patterns,
          minPriority: q.minPriority,
          limit: q.limit,
        });
        return c.json({ items, lastOffset: bus.currentOffset });
      });
      r.get('/deadletters', async (c) => c.json({ items: await ctx.store.events.listDeadLetters(200) }));
      api.route('/events', r);
      api.get('/deadletters', async (c) => c.json({ items: await ctx.store.events.listDeadLetters(200) }));
    },

    agentSocket(socket) {
      const agentId: string = socket.data.agentId;
      onCall(ctx, socket, 'event:publish', PublishEvent, ({ input }) => bus.publish(agentId, input));
      onCall(ctx, socket, 'event:subscribe', Subscribe, async ({ input }) => {
        await socket.join(input.patterns.map(topicRoom));
        const from = input.fromOffset ?? handshakeOffset(socket.handshake.auth) ?? (await bus.agentOffset(agentId));
        if (from === null) return { patterns: input.patterns, replayed: 0, fromOffset: bus.currentOffset };
        // Streamed page by page, so a long absence does not load the whole log at once.
        let replayed = 0;
        for (let after = from; ; ) {
          const page = await bus.replayFor(input.patterns, after, input.policy, REPLAY_PAGE);
          // One message per page: per-event messages made Socket.IO framing dominate long replays.
          if (page.length) socket.emit('events', page);
          replayed += page.length;
          if (page.length < REPLAY_PAGE || !socket.connected) break;
          after = page[page.length - 1]!.offset;
        }
        return { patterns: input.patterns, replayed, fromOffset: from };
      });
      onCall(ctx, socket, 'event:unsubscribe', Unsubscribe, async ({ input }) => {
        for (const p of input.patterns) await socket.leave(topicRoom(p));
        return { patterns: input.patterns };
      });
      onSignal(ctx, socket, 'event:ack', AckEvents, ({ input }) => {
        bus.recordOffset(agentId, input.offset);
        for (const ms of input.latencies ?? []) {
          latency.observe(ms);
          monitor.observe(ms);
        }
      });
      onCall(ctx, socket, 'event:nack', NackEvent, ({ input }) => bus.deadLetter(agentId, input));
    },

    operatorFeed(nsp) {
      nsp.on('connection', (socket) => {
        // The dashboard watches every topic by default; it can narrow the stream with events:watch.
        void socket.join(topicRoom('#'));
        socket.on('events:watch', async (p: unknown, ack?: (a: unknown) => void) => {
          const parsed = z.object({ pattern: TopicPattern.nullable() }).safeParse(p);
          if (!parsed.success) return ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: parsed.error.message } });
          for (const room of socket.rooms) if (room.startsWith('t:')) await socket.leave(room);
          if (parsed.data.pattern) await socket.join(topicRoom(parsed.data.pattern));
          ack?.({ ok: true, data: { pattern: parsed.data.pattern } });
        });
      });
    },
  };
}

function handshakeOffset(auth: unknown): number | null {
  const v = (auth as Record<string, unknown> | undefined)?.lastOffset;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}
