import { Hono } from 'hono';
import { z } from 'zod';
import type { Server } from 'socket.io';
import { Counter, Gauge, Histogram } from 'prom-client';
import {
  HubError,
  AckEvents,
  isHubTopic,
  NackEvent,
  PRIORITIES,
  PublishBatch,
  PublishEvent,
  readAckEvents,
  readPublishEvent,
  ReplayQuery,
  Subscribe,
  TopicPattern,
  Unsubscribe,
  type Ack,
  type HubEvent,
  type Priority,
  type PublishResult,
} from '@agent-hub/protocol';
import { DeadLetterActions, EventBus, ReservedOffsets, roomsForTopic, topicRoom, uuidV7, type OffsetAllocator } from '@agent-hub/core';
import type { Socket } from 'socket.io';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody, queryOf } from '../http/body.ts';
import { parseOrThrow, toErrorBody } from '../errors.ts';
import { request, signal } from '../sockets/handler.ts';
import { agentRoom, patternOfRoom } from '../sockets/rooms.ts';
import { agentsNamespaceOf } from '../sockets/agents-namespace.ts';
import { operatorsNamespaceOf } from '../sockets/operators-namespace.ts';
import { loadReplayPolicies } from './replay-policies.ts';
import { LatencyMonitor } from './latency-monitor.ts';
import { noteAcked, noteSubscribed, noteUnsubscribed, subscriptionRoutes } from './agent-subscriptions.ts';
import type { LoadGate } from '../sockets/load-gate.ts';
import { mountDeadLetterRoutes, socketRedeliverer } from './dead-letter-routes.ts';
import { authorizePublish, authorizeSubscribe } from '../auth/agent-permissions.ts';
import { isNetworkStore } from './network-stores.ts';

const REPLAY_PAGE = 2000;
/** At most this many live events in one `events` message: one frame of a burst stays small. */
const LIVE_RUN_MAX = 100;
/** Sockets whose catch-up is complete get `event:watermark` notices; the others must not advance. */
const WATERMARK_ROOM = 'watermark';
// Schemas built once, not per request or connection.
const HttpReplayQuery = ReplayQuery.extend({ patterns: z.string().optional() });
const StreamFilter = z.object({ pattern: TopicPattern.nullable() });
const WATERMARK_NOTICE_MS = 250;
/** How long a subscribe waits for other nodes' uncommitted events to commit before replaying. */
const CATCH_UP_WAIT_MS = 2000;
const GAP_FILL_WAIT_MS = 60_000;
/** How long a dead-letter retry waits for the agent to confirm the redelivery (an HTTP request waits on it). */
const REDELIVERY_TIMEOUT_MS = 5000;
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1];

/** The event bus over Socket.IO rooms and HTTP, with the persisted log, replay and dead letters. */
export function eventsModule(
  ctx: HubContext,
  io: Server,
  deps: { offsets?: OffsetAllocator; gate: LoadGate },
): HubModule & { bus: EventBus } {
  const { offsets, gate } = deps;
  const policies = loadReplayPolicies(ctx.config.REPLAY_POLICY_FILE, ctx.config.DEFAULT_REPLAY_POLICY);
  const registers = [ctx.metrics.registry];
  const latency = new Histogram({
    name: 'agenthub_event_propagation_latency_seconds',
    help: 'Publish to subscriber receipt in seconds (reported by SDK acks)',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers,
  });
  const throughput = new Counter({
    name: 'agenthub_events_published_total',
    help: 'Events published through this node, by priority',
    labelNames: ['priority'],
    registers,
  });
  const deadLetters = new Counter({ name: 'agenthub_event_dead_letters_total', help: 'Events dead-lettered by subscribers', registers });
  const storeDown = new Gauge({ name: 'agenthub_event_log_degraded', help: '1 while the event log cannot be written', registers });
  const duplicates = new Counter({
    name: 'agenthub_event_duplicate_publishes_total',
    help: 'Publishes of an id already accepted (not delivered again)',
    labelNames: ['retry'],
    registers,
  });
  const overloadRefusals = new Counter({
    name: 'agenthub_event_publishes_refused_overload_total',
    help: 'Publishes refused with RATE_LIMITED because the hub was overloaded',
    registers,
  });
  new Gauge({
    name: 'agenthub_event_loop_lag_max_seconds',
    help: 'Worst event-loop delay of the last 250 ms window, in seconds',
    registers,
    collect() {
      this.set(gate.lagMs / 1000);
    },
  });
  const republished = new Counter({
    name: 'agenthub_event_republished_total',
    help: 'Publishes marked as re-sends, by whether the log already had them',
    labelNames: ['found'],
    registers,
  });
  const commitSeconds = new Histogram({
    name: 'agenthub_event_log_commit_seconds',
    help: 'Time the store took to commit one batch of events (group commit), in seconds',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers,
  });
  const committed = new Counter({
    name: 'agenthub_event_log_committed_total',
    help: 'Events committed to the event log (divided by the commit count: events per group commit)',
    registers,
  });
  const monitor = new LatencyMonitor(ctx.logger.child({ module: 'events' }));
  const agents = agentsNamespaceOf(io);
  const operators = operatorsNamespaceOf(io);
  const relay = ctx.adapter.relay;
  /**
   * The live stream, for the dashboards on this node: those on other nodes get the event from the
   * relay. Socket.IO encodes a broadcast before looking for recipients: skipped with no dashboard.
   * (Room lists are shared per topic and frozen, `roomsForTopic`; Socket.IO's `to()` only reads
   * them, though its type asks for a mutable array.)
   */
  const streamHere = (event: HubEvent, rooms: readonly string[]) => {
    if (operators.sockets.size > 0) operators.local.to(rooms as string[]).emit('event:stream', event);
  };
  /**
   * Consecutive events on one topic, accepted in the same turn of the event loop (a publisher's
   * burst, read from its socket in one go, or another node's relayed turn), go to this node's
   * subscribers as one `events` message at the end of the turn instead of one `event` each: one
   * encoding, one frame and one write per subscriber instead of one per event (to connections
   * that speak protocol 3). A lone event is still sent as `event`. A run ends at a change of
   * topic, so every connection still gets its events in offset order.
   */
  let run: { topic: string; rooms: readonly string[]; events: HubEvent[] } | null = null;
  /** This node's connections of protocol 2 or older: while there are none, a run needs no split. */
  let olderConnections = 0;
  let runFlushQueued = false;
  const flushRun = () => {
    const r = run;
    run = null;
    if (!r) return;
    if (r.events.length === 1) return void agents.local.to(r.rooms as string[]).emit('event', r.events[0]!);
    // Connections of protocol 3 take the run as one `events`; older ones get one `event` each,
    // as they always did (they may take `events` for replay pages only).
    if (olderConnections === 0) return void agents.local.to(r.rooms as string[]).emit('events', r.events);
    const batched: string[] = [];
    const single: string[] = [];
    // A socket in several of the rooms is listed more than once; Socket.IO sends to it once.
    for (const room of r.rooms) {
      for (const sid of agents.adapter.rooms.get(room) ?? []) (agents.sockets.get(sid)?.data.liveBatches ? batched : single).push(sid);
    }
    if (batched.length) agents.local.to(batched).emit('events', r.events);
    if (single.length) for (const e of r.events) agents.local.to(single).emit('event', e);
  };
  const endOfTurn = () => {
    runFlushQueued = false;
    flushRun();
  };
  /**
   * An event to this node's subscribers and dashboards, whichever node published it. Socket.IO
   * encodes a broadcast before it looks for recipients, and local rooms exist only while a socket
   * is in them: an event nobody here subscribes to (a health transition in a connect storm, say)
   * is not encoded for nobody.
   */
  const deliverHere = (event: HubEvent, rooms: readonly string[]) => {
    if (rooms.some((r) => agents.adapter.rooms.has(r))) {
      if (run && run.topic === event.topic && run.events.length < LIVE_RUN_MAX) run.events.push(event);
      else {
        flushRun();
        run = { topic: event.topic, rooms, events: [event] };
        if (!runFlushQueued) {
          runFlushQueued = true;
          queueMicrotask(endOfTurn);
        }
      }
    }
    streamHere(event, rooms);
  };
  if (relay) {
    new Gauge({
      name: 'agenthub_event_relay_batching',
      help: 'With Redis: 1 while this node sends events to the other nodes through the event relay, 0 while it broadcasts them through the Socket.IO adapter',
      registers,
      collect() {
        this.set(relay.batching ? 1 : 0);
      },
    });
  }

  const bus = new EventBus({
    log: ctx.store.events,
    clock: ctx.clock,
    newId: uuidV7,
    logger: ctx.logger.child({ module: 'events' }),
    batchMax: ctx.config.EVENT_BATCH_MAX,
    batchDelayMs: ctx.config.EVENT_BATCH_DELAY_MS,
    policyFor: policies.policyFor,
    // One node: offsets from durably reserved blocks, so a crash leaves a gap, never a reuse.
    offsets: offsets ?? new ReservedOffsets(ctx.store.kv, ctx.logger.child({ module: 'events' })),
    fanout: {
      deliver(event, rooms) {
        if (!relay || relay.batching) {
          deliverHere(event, rooms);
          // Several nodes: the other nodes get this turn's events in one message (EventRelay).
          relay?.send(event);
          return;
        }
        // Through the adapter (a node of an earlier version listens only there): after what the
        // relay still holds, so the order holds across a switch.
        flushRun();
        relay.flush();
        agents.to(rooms as string[]).emit('event', event);
        streamHere(event, rooms);
      },
    },
    onCommit: (events, ms) => {
      committed.inc(events);
      commitSeconds.observe(ms / 1000);
    },
    onStoreState: (down) => {
      storeDown.set(down ? 1 : 0);
      ctx.storeHealth.set('events', down);
    },
    storeProbe: {
      ping: () => ctx.store.ping(),
      intervalMs: ctx.config.STORE_PROBE_INTERVAL_MS,
      timeoutMs: ctx.config.STORE_QUEUE_AFTER_MS,
      boundedWait: isNetworkStore(ctx.store.kind),
    },
  });
  // One child per priority, made once: `inc({ priority })` hashed the labels for every event.
  const publishedAt = Object.fromEntries(PRIORITIES.map((p) => [p, throughput.labels({ priority: p })])) as Record<
    Priority,
    { inc(): void }
  >;
  bus.on('published', (e) => publishedAt[e.priority].inc());
  bus.on('duplicate', (d) => duplicates.inc({ retry: String(d.retry) }));
  bus.on('republished', (r) => republished.inc({ found: String(r.found) }));
  // Publishers answered `durable: false` (store down) learn when their events commit after all.
  bus.on('lateDurable', (events) => {
    const byPublisher = new Map<string, string[]>();
    for (const e of events) {
      const ids = byPublisher.get(e.publisher);
      if (ids) ids.push(e.id);
      else byPublisher.set(e.publisher, [e.id]);
    }
    for (const [publisher, ids] of byPublisher) agents.to(agentRoom(publisher)).emit('event:durable', { ids });
  });
  new Counter({
    name: 'agenthub_event_offset_gaps_total',
    help: 'Offsets skipped for good (reserved by a run that crashed, or jumped over after a Redis reset)',
    registers,
    collect() {
      this.reset();
      this.inc(bus.gaps);
    },
  });
  new Gauge({
    name: 'agenthub_event_watermark_lag_offsets',
    help: 'Offsets handed out on this node above the committed watermark',
    registers,
    collect() {
      this.set(Math.max(0, bus.currentOffset - bus.watermark));
    },
  });
  bus.on('deadLetter', (d) => {
    deadLetters.inc();
    operators.emit('deadletter:new', d);
  });
  const deadLetterActions = new DeadLetterActions({
    log: ctx.store.events,
    eventAt: (offset, id) => bus.eventAt(offset, id),
    redeliverer: socketRedeliverer(agents, REDELIVERY_TIMEOUT_MS),
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'events' }),
  });
  deadLetterActions.on('changed', (d) => operators.emit('deadletter:update', d));

  /** Streamed page by page, so a long absence does not load the whole log at once. */
  async function replay(socket: Socket, patterns: string[], from: number, policy?: ReplayPolicyName): Promise<number> {
    let replayed = 0;
    let next = bus.replayFor(patterns, from, policy, REPLAY_PAGE);
    for (;;) {
      const page = await next;
      const more = page.length === REPLAY_PAGE;
      // The next page is read (by the store's worker, or its server) while this one is encoded
      // and sent on the main thread: one read in flight at a time, as before, but overlapped.
      if (more) next = bus.replayFor(patterns, page[page.length - 1]!.offset, policy, REPLAY_PAGE);
      // One message per page: per-event messages made Socket.IO framing dominate long replays.
      if (page.length) socket.emit('events', page);
      replayed += page.length;
      if (!more) return replayed;
      if (!socket.connected) {
        next.catch(() => undefined); // read ahead for a socket that is gone: nobody waits for it
        return replayed;
      }
    }
  }

  /** The catch-up timed out: replay again once the watermark covers the join, then send notices. */
  async function fillGap(socket: Socket, patterns: string[], after: number, upTo: number, policy?: ReplayPolicyName): Promise<void> {
    try {
      if (!(await bus.waitWatermark(upTo, GAP_FILL_WAIT_MS)) || !socket.connected) return;
      await replay(socket, patterns, after, policy);
      await socket.join(WATERMARK_ROOM);
    } catch (err) {
      ctx.logger.warn({ err: String(err) }, 'subscription gap fill failed; the agent resumes from its last watermark');
    }
  }

  const timers: ReturnType<typeof setInterval>[] = [];
  /** Per connection, while a publish re-send is in flight: the end of its publish queue. */
  const publishTails = new Map<string, Promise<unknown>>();

  /** Past the sustainable rate the hub pushes back instead of falling behind its heartbeats. */
  function refuseIfOverloaded(publishes = 1): void {
    if (!gate.overloaded) return;
    overloadRefusals.inc(publishes);
    throw new HubError('RATE_LIMITED', `hub overloaded (event loop ${Math.round(gate.lagMs)} ms late); retry after retryAfterMs`, {
      retryAfterMs: gate.retryAfterMs(),
    });
  }

  /** One publish of an agent's connection (checked and authorised): resolves with its ack's data. */
  function publishFrom(socket: Socket, agentId: string, input: PublishInput): Promise<PublishResult> {
    // A re-send may wait on a log lookup before it is numbered; what this connection publishes
    // after it waits its turn, so a publisher's events keep their order. Without re-sends in
    // flight, publishes go straight through (the bus numbers them in arrival order).
    const tail = publishTails.get(socket.id);
    if (!tail && !input.retry) return bus.publish(agentId, input);
    const accepted = (tail ?? Promise.resolve()).then(() => bus.accept(agentId, input));
    const settled = accepted.then(noop, noop);
    publishTails.set(socket.id, settled);
    void settled.then(() => publishTails.get(socket.id) === settled && publishTails.delete(socket.id));
    return accepted.then((a) => a.done);
  }

  return {
    name: 'events',
    bus,
    async start() {
      await bus.start();
      // Events other nodes published, in their order: to this node's subscribers of their topics.
      await relay?.start((events) => {
        for (const event of events) deliverHere(event, roomsForTopic(event.topic));
      });
      // Broadcasts from other nodes were lost while Redis was away; each local subscriber gets
      // what the log holds for its patterns since the outage began (the SDK drops ids it has).
      ctx.adapter.onRecovered((downSince) => {
        for (const socket of agents.sockets.values()) {
          const patterns = [...socket.rooms].flatMap((r) => patternOfRoom(r) ?? []);
          if (!patterns.length) continue;
          // No watermark notice may pass what the resync has not delivered yet.
          void socket.leave(WATERMARK_ROOM);
          void bus
            .query({ from: downSince - 1000, patterns, limit: 100_000 })
            .then((events) => {
              if (events.length) socket.emit('events', events);
              return socket.join(WATERMARK_ROOM);
            })
            .catch((err) => ctx.logger.warn({ err: String(err) }, 'resync after redis outage failed'));
        }
      });
      timers.push(setInterval(() => monitor.tick(), 60_000));
      let announced = -1;
      timers.push(
        setInterval(() => {
          const w = bus.watermark;
          if (w === announced) return;
          announced = w;
          agents.local.to(WATERMARK_ROOM).emit('event:watermark', { offset: w });
        }, WATERMARK_NOTICE_MS),
      );
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
      relay?.close();
    },

    api(api) {
      const r = new Hono<HttpEnv>();
      r.post('/', async (c) => {
        const input = await jsonBody(c, PublishEvent);
        if (isHubTopic(input.topic))
          throw new HubError('FORBIDDEN', `"${input.topic}" is a hub topic: only the hub publishes on "$hub:" topics`, {
            topic: input.topic,
            pattern: '$hub:#',
          });
        return c.json(await bus.publish('operator', input), 201);
      });
      r.get('/', async (c) => {
        const raw = c.req.query();
        const q = queryOf(c, HttpReplayQuery);
        // The typed check (VALIDATION_FAILED, same cap as the socket's), not a bare parse (a 500).
        const patterns = raw.patterns ? parseOrThrow(z.array(TopicPattern).max(100), raw.patterns.split(',')) : undefined;
        const items = await bus.query({
          afterOffset: q.afterOffset,
          from: q.from ? Date.parse(q.from) : undefined,
          to: q.to ? Date.parse(q.to) : undefined,
          patterns,
          minPriority: q.minPriority,
          limit: q.limit,
        });
        return c.json({ items, lastOffset: bus.currentOffset, watermark: bus.watermark });
      });
      r.get('/deadletters', async (c) => c.json({ items: await ctx.store.events.listDeadLetters(200) }));
      api.route('/events', r);
      api.route('/agents', subscriptionRoutes(ctx, agents, bus));
      mountDeadLetterRoutes(api, ctx.store.events, deadLetterActions);
    },

    onAgentConnected(socket) {
      if (!socket.data.liveBatches) olderConnections++;
    },

    onAgentClosed(socket) {
      publishTails.delete(socket.id);
      if (!socket.data.liveBatches) olderConnections--;
    },

    agentEvents: {
      'event:publish': request(
        PublishEvent,
        ({ socket, agentId, input }) => {
          authorizePublish(socket.data.credential, input.topic, input.payload, ctx.config.LEGACY_HUB_TOPICS);
          refuseIfOverloaded();
          return publishFrom(socket, agentId, input);
        },
        { read: readPublishEvent },
      ),
      'event:publish-batch': request(PublishBatch, ({ socket, agentId, input, log }) => {
        // Overload refuses the whole batch (one retry-after for all of it); anything else is per event.
        refuseIfOverloaded(input.events.length);
        const failed = (err: unknown): Ack<PublishResult> => {
          const error = toErrorBody(err, log);
          if (error.code === 'VALIDATION_FAILED') ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: error.code });
          return { ok: false, error };
        };
        // Each answer goes into its place as it comes; the batch is answered once all are in
        // (one promise for the batch instead of Promise.all over one wrapper per event).
        const results = new Array<Ack<PublishResult>>(input.events.length);
        let open = input.events.length;
        return new Promise<{ results: Array<Ack<PublishResult>> }>((resolve) => {
          const answer = (i: number, a: Ack<PublishResult>) => {
            results[i] = a;
            if (--open === 0) resolve({ results });
          };
          input.events.forEach((raw, i) => {
            let done: Promise<PublishResult>;
            try {
              const event = readPublishEvent(raw) ?? parseOrThrow(PublishEvent, raw);
              authorizePublish(socket.data.credential, event.topic, event.payload, ctx.config.LEGACY_HUB_TOPICS);
              // In order: each is numbered (and delivered) before the next is looked at.
              done = publishFrom(socket, agentId, event);
            } catch (err) {
              return answer(i, failed(err));
            }
            done.then(
              (data) => answer(i, { ok: true, data }),
              (err: unknown) => answer(i, failed(err)),
            );
          });
        });
      }),
      'event:subscribe': request(Subscribe, async ({ socket, agentId, input }) => {
        authorizeSubscribe(socket.data.credential, input.patterns);
        // The rooms change as the hub reads the subscribe, before it handles anything after it on
        // this connection: a publish the agent sends right behind it, not waiting for the ack, is
        // delivered to this subscription live (publishes are numbered and delivered in the call
        // that reads them). Notices resume once this subscription's catch-up is complete (below).
        const left = socket.leave(WATERMARK_ROOM);
        const joined = socket.join(input.patterns.map(topicRoom));
        await left;
        await joined;
        const requested = input.fromOffset ?? handshakeOffset(socket.handshake.auth) ?? (await bus.agentOffset(agentId));
        // For the agent page: each pattern's policy in force, and where its lag starts counting.
        const policyOf = Object.fromEntries(input.patterns.map((p) => [p, input.policy ?? policies.policyFor(p)]));
        noteSubscribed(socket, policyOf, requested === null ? bus.currentOffset : Math.min(requested, bus.watermark));
        if (requested === null) {
          await socket.join(WATERMARK_ROOM);
          return { patterns: input.patterns, replayed: 0, fromOffset: bus.currentOffset, watermark: bus.watermark };
        }
        // An offset above the watermark could hide an event numbered but not committed yet.
        const from = Math.min(requested, bus.watermark);
        // Several nodes: another node may have numbered an event before we joined the rooms (its
        // live delivery missed us) that is not committed yet (so not in the log to replay). Wait
        // until the watermark covers everything numbered so far; one node replays its own queue.
        const upTo = bus.shared ? await bus.allocatedUpTo() : 0;
        const complete = !bus.shared || (await bus.waitWatermark(upTo, CATCH_UP_WAIT_MS));
        const watermark = bus.watermark;
        const replayed = await replay(socket, input.patterns, from, input.policy);
        if (complete) await socket.join(WATERMARK_ROOM);
        else void fillGap(socket, input.patterns, watermark, upTo, input.policy);
        return { patterns: input.patterns, replayed, fromOffset: from, watermark };
      }),
      'event:unsubscribe': request(Unsubscribe, async ({ socket, input }) => {
        // All at once, as the hub reads it (as for a subscribe): nothing published after it is sent here.
        const leaving = input.patterns.map((p) => socket.leave(topicRoom(p)));
        for (const left of leaving) await left;
        noteUnsubscribed(socket, input.patterns);
        return { patterns: input.patterns };
      }),
      'event:ack': signal(
        AckEvents,
        ({ socket, agentId, input }) => {
          bus.recordOffset(agentId, input.offset);
          noteAcked(socket, input.offset);
          for (const ms of input.latencies ?? []) {
            latency.observe(ms / 1000);
            monitor.observe(ms);
          }
        },
        { read: readAckEvents },
      ),
      'event:nack': request(NackEvent, ({ agentId, input }) => bus.deadLetter(agentId, input)),
    },

    operatorFeed(nsp) {
      nsp.on('connection', (socket) => {
        // The dashboard watches every topic by default; it can narrow the stream with events:watch.
        void socket.join(topicRoom('#'));
        socket.on('events:watch', async (p, answer) => {
          // Typed by the protocol, but sent by any client: validated here, and the ack may be missing.
          const ack = answer as ((a: Ack<{ pattern: string | null }>) => void) | undefined;
          const parsed = StreamFilter.safeParse(p);
          if (!parsed.success) return ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: parsed.error.message } });
          for (const room of socket.rooms) if (patternOfRoom(room) !== null) await socket.leave(room);
          if (parsed.data.pattern) await socket.join(topicRoom(parsed.data.pattern));
          ack?.({ ok: true, data: { pattern: parsed.data.pattern } });
        });
      });
    },
  };
}

function noop(): void {}

type ReplayPolicyName = Parameters<EventBus['replayFor']>[2];
type PublishInput = Parameters<EventBus['publish']>[1];

function handshakeOffset(auth: unknown): number | null {
  const v = (auth as Record<string, unknown> | undefined)?.lastOffset;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}
