import { EventEmitter } from 'eventemitter3';
import { io, type Socket } from 'socket.io-client';
import {
  AGENTS_NAMESPACE,
  HubError,
  isErrorCode,
  PROTOCOL_VERSION,
  type AckCallback,
  type AgentInfo,
  type AppendMessages,
  type AppendResult,
  type CreateSession,
  type DeadLetter,
  type HubEvent,
  type LivenessReport,
  type Page,
  type Priority,
  type PublishResult,
  type Redelivery,
  type RedeliveryReceipt,
  type RegisterAgent,
  type ReplayPolicy,
  type Session,
  type SessionListQuery,
  type SessionWithHistory,
  type ShutdownNotice,
  type SubscribeResult,
  type UpdateSession,
} from '@agent-hub/protocol';
import { ProcessedRegistry } from './processed-registry.ts';
import { request } from './request.ts';
import { Subscriptions, type EventHandler } from './subscriptions.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { PublishWindow } from './publish-window.ts';
import type { PublishJournal } from './publish-journal.ts';

export interface ConnectOptions {
  /**
   * Hub base URL, e.g. http://127.0.0.1:3000, or several hub nodes: the client starts with the
   * first and moves to the next one on every reconnect attempt, so it finds a surviving node.
   */
  url: string | string[];
  agentId: string;
  token: string;
  name?: string;
  capabilities?: string[];
  priority?: number;
  recovery?: RegisterAgent['recovery'];
  meta?: Record<string, unknown>;
  /** Answers the hub's liveness probe; default: healthy unless `progress()` went stale. */
  liveness?: () => LivenessReport | Promise<LivenessReport>;
  /** With the default liveness check: how old the last `progress()` may be (ms). */
  progressStaleMs?: number;
  /** Ack / request timeout (ms). */
  requestTimeoutMs?: number;
  /**
   * How often `sessions.append` sends an append that got no answer (REQUEST_TIMEOUT) before it
   * gives up; default 2. Safe because every message carries an id: the hub answers a copy it
   * already has with the original result (`duplicate: true`).
   */
  appendAttempts?: number;
  /** Reconnect backoff: first delay and cap (ms), with jitter. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Handler retries before an event is dead-lettered. */
  handlerAttempts?: number;
  handlerBackoffMs?: number;
  processedCapacity?: number;
  /** Resume point for a restarted process that persisted it; default: what the hub recorded. */
  lastOffset?: number;
  /** Publishes sent and not yet durable at most; `publish()` waits for a slot beyond that. */
  maxInFlight?: number;
  /** A publish not durable within this rejects (ms): REQUEST_TIMEOUT, or STORE_UNAVAILABLE if the hub has it queued. */
  publishDeadlineMs?: number;
  /**
   * Keeps unconfirmed publishes across restarts of this process (e.g. `new FileJournal(path)`
   * from `@agent-hub/sdk/node`); what an earlier run left is re-sent at start, same ids.
   */
  journal?: PublishJournal;
  /**
   * How long the first connect keeps retrying (ms, default 30,000): network errors, handshake
   * timeouts and transient refusals (the hub busy or stopping) are retried until then; a refusal
   * of the agent itself (bad token, unsupported protocol) rejects at once.
   */
  connectTimeoutMs?: number;
  /** Told of each failed first-connect attempt that will be retried (for logs and metrics). */
  onConnectRetry?: (err: Error) => void;
}

/** Longest pause between reconnect attempts after a graceful stop (ms). */
const RESTART_RETRY_MAX_MS = 1500;

/** Handshake refusals after which trying again cannot help: the client closes. */
const FINAL_REFUSALS = new Set(['UNAUTHENTICATED', 'AGENT_UNAUTHORIZED', 'PROTOCOL_UNSUPPORTED']);

export interface SubscribeOptions {
  policy?: ReplayPolicy;
  fromOffset?: number;
}

/**
 * An agent's connection to the hub: registers on every (re)connect, re-subscribes with its last
 * offset so missed events are replayed, runs each event's handlers once (dedupe by id), acks
 * processed offsets, and answers the hub's liveness probe.
 */
export class AgentClient extends EventEmitter {
  readonly socket: Socket;
  info: AgentInfo | null = null;
  private readonly subs = new Subscriptions();
  private readonly policies = new Map<string, SubscribeOptions>();
  readonly processed: ProcessedRegistry;
  private readonly delivery: DeliveryQueue;
  private readonly window: PublishWindow;
  /** The last committed watermark the hub announced to this connection (null: none yet). */
  private watermark: number | null = null;
  private disconnectedAt: number | null = null;
  /** Told by `hub:shutdown` that the node is stopping on purpose (and will likely be back soon). */
  private afterShutdown = false;
  private readonly reconnectDefaults: { min: number; max: number; jitter: number };
  private lastProgressAt = Date.now();
  private closed = false;
  /** Open while the hub knows this agent; closed from a disconnect until re-registration. */
  private registeredGate: Promise<void> = Promise.resolve();
  private openGate: (() => void) | null = null;
  private sweepTimer: ReturnType<typeof setInterval>;

  constructor(private readonly opts: ConnectOptions) {
    super();
    this.processed = new ProcessedRegistry(opts.processedCapacity ?? 10_000);
    this.delivery = new DeliveryQueue({
      subs: this.subs,
      processed: this.processed,
      attempts: opts.handlerAttempts ?? 3,
      backoffMs: opts.handlerBackoffMs ?? 100,
      initialOffset: opts.lastOffset ?? null,
      // Not before re-registration (the hub would refuse it); acks are cumulative, the next one covers it.
      ack: (offset, latencies) => this.socket.connected && !this.openGate && this.socket.emit('event:ack', { offset, latencies }),
      deadLetter: (e, attempts, error) =>
        this.call<DeadLetter>('event:nack', { id: e.id, offset: e.offset, attempts, error }).catch(() => undefined),
      // Dead-lettered already; an 'error' nobody listens to must not throw inside the delivery loop.
      onError: (err) => this.listenerCount('error') > 0 && this.emit('error', err),
    });
    const urls = (Array.isArray(opts.url) ? opts.url : [opts.url]).map((u) => u.replace(/\/$/, ''));
    if (urls.length === 0) throw new HubError('VALIDATION_FAILED', 'connectAgent needs at least one hub url');
    this.window = new PublishWindow({
      capacity: opts.maxInFlight ?? 1000,
      deadlineMs: opts.publishDeadlineMs ?? 60_000,
      send: (p) => request<PublishResult>(this.socket, 'event:publish', p, opts.requestTimeoutMs ?? 10_000),
      journal: opts.journal,
    });
    this.reconnectDefaults = { min: opts.reconnectDelayMs ?? 500, max: opts.reconnectDelayMaxMs ?? 5000, jitter: 0.5 };
    this.socket = io(urls[0]! + AGENTS_NAMESPACE, {
      // A function, so every reconnect sends the resume point reached by then.
      auth: (cb) => cb({ agentId: opts.agentId, token: opts.token, lastOffset: this.resumeOffset ?? undefined, protocol: PROTOCOL_VERSION }),
      transports: ['websocket'],
      // One connection per agent: its own heartbeat, its own fate (no multiplexing with other sockets).
      forceNew: true,
      reconnectionDelay: this.reconnectDefaults.min,
      reconnectionDelayMax: this.reconnectDefaults.max,
      randomizationFactor: this.reconnectDefaults.jitter,
      autoConnect: false,
    });
    let at = 0;
    const nextUrl = () => {
      if (urls.length < 2) return;
      at = (at + 1) % urls.length;
      // Manager.uri is read on every (re)open: rotating it is how the client fails over between nodes.
      (this.socket.io as unknown as { uri: string }).uri = urls[at]!;
    };
    this.socket.io.on('reconnect_attempt', () => {
      // A delay announced by `hub:shutdown` applies to the first attempt only. A restarting node
      // is back within seconds and a refused connect costs it nothing, so until then the retries
      // stay short (at most RESTART_RETRY_MAX_MS apart) instead of backing off to the normal cap.
      const d = this.reconnectDefaults;
      this.socket.io.reconnectionDelay(d.min);
      this.socket.io.reconnectionDelayMax(this.afterShutdown ? Math.min(d.max, RESTART_RETRY_MAX_MS) : d.max);
      this.socket.io.randomizationFactor(d.jitter);
      nextUrl();
    });
    // A refusal by the hub's handshake check (not a network error) is not retried by
    // socket.io-client; a transient one (the node is stopping, say) is retried here.
    this.socket.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      if (!this.info || this.closed || !err.data?.code) return;
      if (FINAL_REFUSALS.has(err.data.code)) return this.finish(new HubError(err.data.code as 'UNAUTHENTICATED', err.data.message ?? err.message));
      const delay = this.reconnectDefaults.min + Math.random() * this.reconnectDefaults.max;
      setTimeout(() => {
        if (this.closed || this.socket.connected) return;
        nextUrl();
        this.socket.connect();
      }, delay).unref?.();
    });
    this.socket.on('event', (e: HubEvent) => this.delivery.push(e));
    this.socket.on('events', (list: HubEvent[]) => list.forEach((e) => this.delivery.push(e, false)));
    // An operator retried a dead letter of ours: run it again past dedupe, and say how many handlers will.
    this.socket.on('event:redeliver', (p: Redelivery, ack?: AckCallback<RedeliveryReceipt>) => {
      if (typeof p?.deadLetterId !== 'string' || typeof p.event?.id !== 'string' || typeof p.event.topic !== 'string') {
        ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'event:redeliver needs {deadLetterId, event}' } });
        return;
      }
      const handlers = this.delivery.redeliver(p.event, p.deadLetterId);
      ack?.({ ok: true, data: { handlers } });
      this.emit('redelivered', { deadLetterId: p.deadLetterId, event: p.event, handlers });
    });
    this.socket.on('liveness:probe', (_p: unknown, ack: (r: LivenessReport) => void) => {
      void this.answerLiveness().then(ack, (err) => ack({ ok: false, detail: String(err) }));
    });
    this.socket.on('agent:restart', (p: { reason: string }) => this.emit('restart', p));
    this.socket.on('agent:assigned', (p: { replaces: string; sessions: string[] }) => this.emit('assigned', p));
    this.socket.on('hub:shutdown', (p: ShutdownNotice) => {
      // The hub spreads its fleet's reconnects: the first attempt waits exactly this long.
      if (typeof p?.reconnectAfterMs === 'number' && p.reconnectAfterMs >= 0) {
        this.afterShutdown = true;
        this.socket.io.randomizationFactor(0);
        this.socket.io.reconnectionDelayMax(Math.max(p.reconnectAfterMs, this.reconnectDefaults.max));
        this.socket.io.reconnectionDelay(p.reconnectAfterMs);
      }
      this.emit('hub:shutdown', p);
    });
    this.socket.on('event:watermark', (p: { offset?: unknown }) => {
      if (typeof p?.offset === 'number') this.watermark = p.offset;
    });
    this.socket.on('event:durable', (p: { ids?: unknown }) => {
      if (Array.isArray(p?.ids)) this.window.durable(p.ids.filter((id): id is string => typeof id === 'string'));
    });
    this.socket.on('hub:error', (p) => this.emit('hub:error', p));
    for (const ev of ['group:turn', 'group:message', 'group:ended']) {
      this.socket.on(ev, (p: unknown) => this.emit(ev, p));
    }
    this.socket.on('disconnect', (reason) => {
      // Hold calls made from now on until the agent has registered again: otherwise socket.io-client
      // would flush them on reconnect ahead of `agent:register` and the hub would refuse them.
      if (!this.openGate) this.registeredGate = new Promise<void>((resolve) => (this.openGate = resolve));
      this.window.pause();
      this.disconnectedAt ??= Date.now();
      this.emit('disconnected', reason);
      // The hub ended this connection on purpose (replaced by a newer one, or refused): final.
      if (reason === 'io server disconnect' && !this.closed) this.finish(new HubError('AGENT_UNAUTHORIZED', 'the hub closed this connection (replaced by a newer connection of the same agent?)'));
    });
    this.socket.on('connect', () => {
      if (this.afterShutdown) {
        this.afterShutdown = false;
        this.socket.io.reconnectionDelayMax(this.reconnectDefaults.max);
      }
      // Re-register and re-subscribe after every reconnect; the first connect is awaited in start().
      if (this.info) this.resumeUntilDone(this.socket.id);
    });
    this.sweepTimer = setInterval(() => this.processed.sweep(), 60 * 60_000);
    this.sweepTimer.unref?.();
  }

  /** Connects and registers; rejects with the hub's typed error if the handshake is refused. */
  async start(): Promise<AgentInfo> {
    if (this.opts.journal) {
      // Re-sent right after registering, before anything new (emits 'journal:settled' for each).
      const left = await this.opts.journal.load();
      this.window.restore(left, (id, outcome) => this.emit('journal:settled', { id, outcome }));
    }
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + (this.opts.connectTimeoutMs ?? 30_000);
      let retry: ReturnType<typeof setTimeout> | undefined;
      const onError = (err: Error & { data?: { code?: string; message?: string; details?: unknown } }) => {
        const code = err.data?.code;
        const typed = code && isErrorCode(code) ? new HubError(code, err.data?.message ?? err.message, err.data?.details) : null;
        // A refusal that says this agent may never connect ends it; anything else (the hub is
        // busy or stopping, the network failed, the handshake timed out) is retried until the
        // connect deadline, so a fleet connecting at once all gets in.
        if ((typed && FINAL_REFUSALS.has(typed.code)) || Date.now() >= deadline || this.closed) {
          cleanup();
          this.socket.disconnect();
          reject(typed ?? new HubError('REQUEST_TIMEOUT', `could not connect within ${this.opts.connectTimeoutMs ?? 30_000} ms: ${err.message}`));
          return;
        }
        this.opts.onConnectRetry?.(typed ?? err);
        // socket.io-client retries network errors itself; a refusal by the hub it does not.
        if (typed) {
          const afterMs = retryAfterOf(typed) ?? this.reconnectDefaults.min + Math.random() * this.reconnectDefaults.min;
          retry = setTimeout(() => !this.closed && !this.socket.connected && this.socket.connect(), afterMs);
        }
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(retry);
        this.socket.off('connect_error', onError);
        this.socket.off('connect', onConnect);
      };
      this.socket.on('connect_error', onError);
      this.socket.once('connect', onConnect);
      this.socket.connect();
    });
    return this.registerUntil(Date.now() + (this.opts.connectTimeoutMs ?? 30_000));
  }

  /**
   * The first registration, retried while the hub is too busy to answer in time (a fleet
   * connecting at once) or asks to come back later, until the connect deadline. Registering
   * again on the same connection is harmless: the hub answers with the agent's current record.
   */
  private async registerUntil(deadline: number): Promise<AgentInfo> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.register();
      } catch (err) {
        const retryable = HubError.is(err, 'REQUEST_TIMEOUT') || HubError.is(err, 'RATE_LIMITED') || HubError.is(err, 'STORE_UNAVAILABLE');
        if (!retryable || this.closed || Date.now() >= deadline) {
          this.socket.disconnect();
          throw err;
        }
        this.opts.onConnectRetry?.(err as HubError);
        const wait = (HubError.is(err) ? retryAfterOf(err) : undefined) ?? Math.min(this.reconnectDefaults.max, this.reconnectDefaults.min * attempt);
        await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      }
    }
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Highest event offset processed so far. */
  get lastOffset(): number | null {
    return this.delivery.lastOffset;
  }

  /**
   * Where a resume starts: min(highest offset processed, last committed watermark announced).
   * Past the watermark an offset may belong to an event another node has numbered but not
   * committed, which this agent may not have seen yet. An agent that has processed nothing yet
   * resumes from the watermark its subscription started at: with no offset at all the hub would
   * start it "from now" again and skip what was published while it was away.
   */
  get resumeOffset(): number | null {
    const last = this.delivery.lastOffset;
    if (last === null) return this.watermark;
    if (this.watermark === null) return last;
    return Math.min(last, this.watermark);
  }

  /** Publishes not durable yet (sent, or held for a reconnect). */
  get pendingPublishes(): number {
    return this.window.depth;
  }

  /** Mark that the agent's own work loop made progress (feeds the default liveness answer). */
  progress(): void {
    this.lastProgressAt = Date.now();
  }

  async call<T>(event: string, payload: unknown): Promise<T> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    if (event !== 'agent:register' && this.openGate) await this.waitRegistered(event, timeoutMs);
    return request<T>(this.socket, event, payload, timeoutMs);
  }

  private async waitRegistered(event: string, timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HubError('REQUEST_TIMEOUT', `"${event}" waited ${timeoutMs} ms for the agent to reconnect and register`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.registeredGate, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Publishes an event; resolves once it is durable in the hub's log. The id (yours, or a fresh
   * UUID) makes re-sends idempotent: across a dropped connection or a failover the event is sent
   * again under the same id until the hub confirms it, or rejects after `publishDeadlineMs`.
   */
  publish(topic: string, payload: unknown, opts: { priority?: Priority; id?: string } = {}): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new HubError('REQUEST_TIMEOUT', 'the client is closed'));
    return this.window.publish({ topic, payload, priority: opts.priority, id: opts.id ?? globalThis.crypto.randomUUID() });
  }

  async subscribe(patterns: string[], handler: EventHandler, opts: SubscribeOptions = {}): Promise<SubscribeResult> {
    this.subs.add(patterns, handler);
    for (const p of patterns) this.policies.set(p, opts);
    return this.sendSubscribe(patterns, { ...opts, fromOffset: opts.fromOffset ?? this.resumeOffset ?? undefined });
  }

  async unsubscribe(patterns: string[], handler?: EventHandler): Promise<void> {
    const gone = this.subs.remove(patterns, handler);
    gone.forEach((p) => this.policies.delete(p));
    if (gone.length) await this.call('event:unsubscribe', { patterns: gone });
  }

  readonly sessions = {
    create: (p: CreateSession = {}) => this.call<Session>('session:create', p),
    get: (id: string, history = true) => this.call<SessionWithHistory>('session:get', { id, history }),
    list: (q: SessionListQuery = {}) => this.call<Page<Session>>('session:list', q),
    update: (id: string, p: UpdateSession) => this.call<Session>('session:update', { id, ...p }),
    /**
     * Appends messages; resolves with the stored messages, or with `pending` while the hub's store
     * is down (the write is journaled and applied in order later). Messages without an id get a
     * UUID, so a re-send of the same call is recognised and answered with the original result.
     */
    append: (id: string, p: AppendMessages) => this.appendMessages(id, p),
    setState: (id: string, state: unknown, version?: number) =>
      this.call<Session>('session:state', { id, state, version }),
  };

  private async appendMessages(sessionId: string, p: AppendMessages): Promise<AppendResult> {
    const messages = p.messages.map((m) => ({ ...m, id: m.id ?? globalThis.crypto.randomUUID() }));
    const payload = { ...p, id: sessionId, messages };
    const attempts = Math.max(1, this.opts.appendAttempts ?? 2);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call<AppendResult>('session:append', payload);
      } catch (err) {
        // No answer says nothing about whether the hub took it; the same ids make asking again safe.
        if (!HubError.is(err, 'REQUEST_TIMEOUT') || attempt >= attempts || this.closed) throw err;
      }
    }
  }

  /** This agent's saved state in each of its live sessions (restore after a restart). */
  restoreState(): Promise<Array<{ sessionId: string; version: number; state: unknown }>> {
    return this.call('agent:restore', {});
  }

  /** Waits until every event received so far has been handled (tests, graceful stops). */
  idle(): Promise<void> {
    return this.delivery.idle();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.delivery.flushAck();
    this.window.close(new HubError('REQUEST_TIMEOUT', 'the client was closed before the hub confirmed this publish'));
    await this.opts.journal?.close?.();
    this.socket.disconnect();
    this.removeAllListeners();
  }

  /** The hub will not take this agent back (bad token, replaced, unsupported protocol). */
  private finish(err: HubError): void {
    this.emit('closed', err);
    void this.close();
  }

  private async register(): Promise<AgentInfo> {
    const o = this.opts;
    const away = this.disconnectedAt === null ? undefined : { afterMs: Math.max(0, Date.now() - this.disconnectedAt) };
    this.info = await this.call<AgentInfo>('agent:register', {
      name: o.name ?? o.agentId,
      capabilities: o.capabilities ?? [],
      priority: o.priority,
      recovery: o.recovery,
      meta: o.meta,
      reconnect: away,
    });
    this.disconnectedAt = null;
    // Publishes made before (and during) the outage go first, in order, then anything new.
    this.window.resume();
    return this.info;
  }

  /**
   * Re-registers and re-subscribes after a reconnect. A resume that fails while the connection
   * stays up (a hub too busy to answer in time) is tried again, with backoff: otherwise the agent
   * would sit connected and registered but subscribed to nothing.
   */
  private resumeUntilDone(connection: string | undefined, attempt = 1): void {
    this.resume().catch((err: unknown) => {
      // An 'error' with nobody listening would throw here and end the retries with it.
      if (this.listenerCount('error') > 0) this.emit('error', err);
      if (this.closed || !this.socket.connected || this.socket.id !== connection) return; // a new connection resumes on its own
      const delay = Math.min(this.reconnectDefaults.max, this.reconnectDefaults.min * 2 ** attempt);
      setTimeout(() => {
        if (!this.closed && this.socket.connected && this.socket.id === connection) this.resumeUntilDone(connection, attempt + 1);
      }, delay).unref?.();
    });
  }

  private async resume(): Promise<void> {
    await this.register();
    const open = this.openGate;
    this.openGate = null;
    open?.();
    const byPolicy = new Map<string, string[]>();
    for (const p of this.subs.patterns()) {
      const key = this.policies.get(p)?.policy ?? '';
      byPolicy.set(key, [...(byPolicy.get(key) ?? []), p]);
    }
    const failedBefore = this.delivery.failedCount;
    const replayedBefore = this.delivery.replayedCount;
    let sent = 0;
    for (const [policy, patterns] of byPolicy) {
      const r = await this.sendSubscribe(patterns, {
        policy: (policy || undefined) as ReplayPolicy | undefined,
        fromOffset: this.resumeOffset ?? undefined,
      });
      sent += r.replayed;
    }
    this.emit('resumed', this.info);
    if (sent > 0) {
      // Tell the hub how the catch-up went: mostly failing marks this agent degraded there. Only
      // events new to this agent count (a resume from the watermark re-sends a few it already has).
      await this.delivery.idle();
      const replayed = this.delivery.replayedCount - replayedBefore;
      const failed = this.delivery.failedCount - failedBefore;
      if (replayed === 0) return;
      this.info = await this.call<AgentInfo>('agent:replay-report', { replayed, failed });
      this.emit('replayed', { replayed, failed });
    }
  }

  private async sendSubscribe(patterns: string[], opts: SubscribeOptions): Promise<SubscribeResult> {
    // Replayed events arrive before the ack; hold live ones until then so handlers see offset order.
    this.delivery.hold();
    try {
      const r = await this.call<SubscribeResult>('event:subscribe', { patterns, ...opts });
      // Everything up to it has reached this connection now (an older hub sends none).
      if (typeof r.watermark === 'number') this.watermark = r.watermark;
      return r;
    } finally {
      this.delivery.release();
    }
  }

  private async answerLiveness(): Promise<LivenessReport> {
    // The window's depth rides along: the hub's agenthub_agent_publish_window_depth metric.
    const pendingPublishes = this.window.depth;
    if (this.opts.liveness) return { ...(await this.opts.liveness()), pendingPublishes };
    const stale = this.opts.progressStaleMs;
    const ok = stale === undefined || Date.now() - this.lastProgressAt < stale;
    return { ok, lastProgressAt: new Date(this.lastProgressAt).toISOString(), pendingPublishes };
  }
}

/** The wait a refusal asks for (`details.retryAfterMs`), if it names one. */
function retryAfterOf(err: HubError): number | undefined {
  const v = (err.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

/** Connects, registers, and returns the ready client. */
export async function connectAgent(opts: ConnectOptions): Promise<AgentClient> {
  const client = new AgentClient(opts);
  try {
    await client.start();
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}
