import { EventEmitter } from 'eventemitter3';
import { io, type Socket } from 'socket.io-client';
import {
  AGENTS_NAMESPACE,
  HubError,
  isErrorCode,
  PROTOCOL_VERSION,
  timeOrderedId,
  type AckCallback,
  type AgentInfo,
  type AgentRequestAnswer,
  type AgentRequestEvent,
  type AgentRequestPayload,
  type AppendMessages,
  type AppendResult,
  type CreateSession,
  type ErrorCode,
  type HubEvent,
  type LivenessReport,
  type Priority,
  type PublishResult,
  type Redelivery,
  type RedeliveryReceipt,
  type RegisterAgent,
  type ReplayPolicy,
  type SessionListQuery,
  type ShutdownNotice,
  type SubscribeResult,
  type UpdateSession,
} from '@agent-hub/protocol';
import { ProcessedRegistry } from './processed-registry.ts';
import { request } from './request.ts';
import { Subscriptions, type EventHandler } from './subscriptions.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { PublishWindow } from './publish-window.ts';
import { PublishBatcher } from './publish-batcher.ts';
import type { PublishJournal } from './publish-journal.ts';
import { TokenRefresher } from './token-refresh.ts';
import { abortedError, withAbort, type CallOptions } from './abort.ts';
import { ClientLifecycle, type ClientState, type ClosedInfo } from './client-state.ts';
import { DEFAULT_SUBSCRIPTION_BUFFER, EventSubscription } from './event-subscription.ts';
import { UrlFailover } from './url-failover.ts';

export interface ConnectOptions {
  /**
   * Hub base URL, e.g. http://127.0.0.1:3000, or several hub nodes: the client starts with the
   * first and moves to the next one on every reconnect attempt, so it finds a surviving node.
   */
  url: string | string[];
  agentId: string;
  token: string;
  /**
   * Called before an expiring (`ah2`) token expires, for a newer one of the same agent: the client
   * hands it to the hub on the live connection (`auth:refresh`) and uses it on later reconnects.
   * Without it the hub closes the connection once the token's expiry and grace period pass.
   */
  refreshToken?: () => Promise<string>;
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
/** The oldest protocol this client can work with (it relies on 2's watermark, durable notices and re-sends). */
const MIN_PROTOCOL = 2;

export interface SubscribeOptions {
  policy?: ReplayPolicy;
  fromOffset?: number;
}

/** `subscription()`'s options: a subscribe's, an AbortSignal, and the loop's buffer. */
export interface SubscriptionOptions extends SubscribeOptions, CallOptions {
  /** Events held for the loop before delivery waits for it (default 256); see `EventSubscription`. */
  bufferSize?: number;
}

/** A handshake refusal as socket.io-client reports it: the hub's error body in `data`. */
type ConnectError = Error & { data?: { code?: string; message?: string; details?: unknown } };

/**
 * An agent's connection to the hub: registers on every (re)connect, re-subscribes with its last
 * offset so missed events are replayed, runs each event's handlers once (dedupe by id), acks
 * processed offsets, and answers the hub's liveness probe.
 *
 * Its `state` is `connecting`, `connected`, `disconnected` or `closed`; every change is emitted
 * as `'state'` (`{state, previous, detail}`), and also as `'connecting'` / `'connected'`
 * (`'disconnected'` carries the socket.io reason, `'closed'` the hub's error on a final refusal).
 * `closed()` resolves once it is closed for good. With several URLs it moves to the next one on
 * each reconnect attempt, keeping its subscriptions, publish window, processed ids and offsets.
 *
 * @example
 * const client = await connectAgent({ url: ['http://hub-a:3000', 'http://hub-b:3000'], agentId: 'a1', token });
 * client.on('state', ({ state, previous }) => console.log(`${previous} -> ${state}`));
 * await client.subscribe(['orders:#'], (e) => handle(e.payload));
 * await client.publish('orders:eu:created', { id: 42 });
 * void client.closed().then(({ reason, error }) => console.log('closed', reason, error?.code));
 */
export class AgentClient extends EventEmitter {
  info: AgentInfo | null = null;
  private readonly subs = new Subscriptions();
  private readonly policies = new Map<string, SubscribeOptions>();
  readonly processed: ProcessedRegistry;
  private readonly delivery: DeliveryQueue;
  private readonly window: PublishWindow;
  private readonly batcher: PublishBatcher;
  /** The protocol version the next handshake offers: the newest, unless this hub refused it. */
  private protocol = PROTOCOL_VERSION;
  /** The last committed watermark the hub announced to this connection (null: none yet). */
  private watermark: number | null = null;
  private disconnectedAt: number | null = null;
  /** Told by `hub:shutdown` that the node is stopping on purpose (and will likely be back soon). */
  private afterShutdown = false;
  private readonly reconnectDefaults: { min: number; max: number; jitter: number };
  private lastProgressAt = Date.now();
  private ended = false;
  /** Open while the hub knows this agent; closed from a disconnect until re-registration. */
  private registeredGate: Promise<void> = Promise.resolve();
  private openGate: (() => void) | null = null;
  private sweepTimer: ReturnType<typeof setInterval>;
  private readonly tokens: TokenRefresher;
  /** The delay a `hub:shutdown` announced, for the first attempt when the failover schedules it. */
  private shutdownDelayMs: number | null = null;
  private readonly lifecycle: ClientLifecycle;
  private readonly failover: UrlFailover;
  /** Connects and connect errors of the current socket, whichever URL it is for (start() listens). */
  private readonly link = new EventEmitter();
  /** Subscriptions taken as handles (`subscription()`): ended when the client closes. */
  private readonly loops = new Set<EventSubscription>();
  /** A handshake refusal that ended the first connect: what `closed()` reports. */
  private refusal: HubError | null = null;

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
      deadLetter: (e, attempts, error) => this.call('event:nack', { id: e.id, offset: e.offset, attempts, error }).catch(() => undefined),
      // Dead-lettered already; an 'error' nobody listens to must not throw inside the delivery loop.
      onError: (err) => this.listenerCount('error') > 0 && this.emit('error', err),
    });
    const urls = (Array.isArray(opts.url) ? opts.url : [opts.url]).map((u) => u.replace(/\/$/, ''));
    if (urls.length === 0) throw new HubError('VALIDATION_FAILED', 'connectAgent needs at least one hub url');
    const timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.batcher = new PublishBatcher({
      single: (p) => request(this.socket, 'event:publish', p, timeoutMs),
      batch: (events) => request(this.socket, 'event:publish-batch', { events }, timeoutMs).then((r) => r.results),
    });
    this.window = new PublishWindow({
      capacity: opts.maxInFlight ?? 1000,
      deadlineMs: opts.publishDeadlineMs ?? 60_000,
      send: (p) => this.batcher.send(p),
      journal: opts.journal,
    });
    this.reconnectDefaults = { min: opts.reconnectDelayMs ?? 500, max: opts.reconnectDelayMaxMs ?? 5000, jitter: 0.5 };
    this.tokens = new TokenRefresher(opts.token, {
      refresh: opts.refreshToken,
      send: (token) => request(this.socket, 'auth:refresh', { token }, opts.requestTimeoutMs ?? 10_000),
      connected: () => this.socket.connected,
      onRefreshed: (expiresAt) => this.emit('token:refreshed', { expiresAt }),
      onError: (err) => this.listenerCount('error') > 0 && this.emit('error', err),
    });
    this.lifecycle = new ClientLifecycle((change) => {
      this.emit('state', change);
      // 'disconnected' and 'closed' keep their older payloads (the reason; the final error).
      if (change.state === 'connecting' || change.state === 'connected') this.emit(change.state, change);
    });
    this.failover = new UrlFailover(urls, (url, reconnection) => this.openSocket(url, reconnection));
    this.sweepTimer = setInterval(() => this.processed.sweep(), 60 * 60_000);
    this.sweepTimer.unref?.();
  }

  /** The socket of the hub URL in use (another one after a move to the next URL). */
  get socket(): Socket {
    return this.failover.current;
  }

  /** Makes the socket of one hub URL and wires it to this client; events of a socket left behind are ignored. */
  private openSocket(url: string, reconnection: boolean): Socket {
    const opts = this.opts;
    const socket: Socket = io(url + AGENTS_NAMESPACE, {
      // A function, so every reconnect sends the resume point reached by then.
      auth: (cb) =>
        cb({ agentId: opts.agentId, token: this.tokens.current, lastOffset: this.resumeOffset ?? undefined, protocol: this.protocol }),
      transports: ['websocket'],
      // One connection per agent: its own heartbeat, its own fate (no multiplexing with other sockets).
      forceNew: true,
      // Several URLs: the failover schedules every attempt, each to the next URL.
      reconnection,
      reconnectionDelay: this.reconnectDefaults.min,
      reconnectionDelayMax: this.reconnectDefaults.max,
      randomizationFactor: this.reconnectDefaults.jitter,
      autoConnect: false,
    });
    socket.io.on('reconnect_attempt', () => {
      // A delay announced by `hub:shutdown` applies to the first attempt only. A restarting node
      // is back within seconds and a refused connect costs it nothing, so until then the retries
      // stay short (at most RESTART_RETRY_MAX_MS apart) instead of backing off to the normal cap.
      const d = this.reconnectDefaults;
      socket.io.reconnectionDelay(d.min);
      socket.io.reconnectionDelayMax(this.afterShutdown ? Math.min(d.max, RESTART_RETRY_MAX_MS) : d.max);
      socket.io.randomizationFactor(d.jitter);
      if (this.failover.isCurrent(socket)) this.lifecycle.to('connecting', 'reconnect attempt');
    });
    socket.on('connect_error', (err: ConnectError) => this.onConnectError(socket, err));
    socket.on('event', (e: HubEvent) => this.delivery.push(e));
    socket.on('events', (list: HubEvent[]) => this.delivery.pushMany(list));
    // An operator retried a dead letter of ours: run it again past dedupe, and say how many handlers will.
    socket.on('event:redeliver', (p: Redelivery, ack?: AckCallback<RedeliveryReceipt>) => {
      if (typeof p?.deadLetterId !== 'string' || typeof p.event?.id !== 'string' || typeof p.event.topic !== 'string') {
        ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'event:redeliver needs {deadLetterId, event}' } });
        return;
      }
      const handlers = this.delivery.redeliver(p.event, p.deadLetterId);
      ack?.({ ok: true, data: { handlers } });
      this.emit('redelivered', { deadLetterId: p.deadLetterId, event: p.event, handlers });
    });
    socket.on('liveness:probe', (_p: unknown, ack: (r: LivenessReport) => void) => {
      void this.answerLiveness().then(ack, (err) => ack({ ok: false, detail: String(err) }));
    });
    socket.on('agent:restart', (p: { reason: string }) => this.emit('restart', p));
    socket.on('agent:assigned', (p: { replaces: string; sessions: string[] }) => this.emit('assigned', p));
    socket.on('hub:shutdown', (p: ShutdownNotice) => {
      // The hub spreads its fleet's reconnects: the first attempt waits exactly this long.
      if (typeof p?.reconnectAfterMs === 'number' && p.reconnectAfterMs >= 0) {
        this.afterShutdown = true;
        this.shutdownDelayMs = p.reconnectAfterMs;
        socket.io.randomizationFactor(0);
        socket.io.reconnectionDelayMax(Math.max(p.reconnectAfterMs, this.reconnectDefaults.max));
        socket.io.reconnectionDelay(p.reconnectAfterMs);
      }
      this.emit('hub:shutdown', p);
    });
    socket.on('event:watermark', (p: { offset?: unknown }) => {
      if (typeof p?.offset === 'number') this.watermark = p.offset;
    });
    socket.on('event:durable', (p: { ids?: unknown }) => {
      if (Array.isArray(p?.ids)) this.window.durable(p.ids.filter((id): id is string => typeof id === 'string'));
    });
    socket.on('hub:error', (p) => this.emit('hub:error', p));
    for (const ev of ['group:turn', 'group:message', 'group:ended']) {
      socket.on(ev, (p: unknown) => this.emit(ev, p));
    }
    socket.on('disconnect', (reason) => {
      if (!this.failover.isCurrent(socket)) return;
      // The next connection may reach an upgraded node: offer the newest version again.
      this.protocol = PROTOCOL_VERSION;
      // Hold calls made from now on until the agent has registered again: otherwise socket.io-client
      // would flush them on reconnect ahead of `agent:register` and the hub would refuse them.
      if (!this.openGate) this.registeredGate = new Promise<void>((resolve) => (this.openGate = resolve));
      this.window.pause();
      this.disconnectedAt ??= Date.now();
      this.emit('disconnected', reason);
      // The hub ended this connection on purpose (replaced by a newer one, or refused): final.
      if (reason === 'io server disconnect' && !this.ended)
        return this.finish(
          new HubError('AGENT_UNAUTHORIZED', 'the hub closed this connection (replaced by a newer connection of the same agent?)'),
          'replaced',
        );
      if (this.ended) return;
      this.lifecycle.to('disconnected', reason);
      if (this.failover.several && reason !== 'io client disconnect')
        this.failover.moveOn(this.nextAttemptDelay(), () => this.lifecycle.to('connecting', 'next hub url'));
    });
    socket.on('connect', () => {
      if (!this.failover.isCurrent(socket)) return;
      this.failover.connected();
      this.batcher.reset();
      this.link.emit('connect');
      this.lifecycle.to('connecting', 'registering');
      if (this.afterShutdown) {
        this.afterShutdown = false;
        this.shutdownDelayMs = null;
        socket.io.reconnectionDelayMax(this.reconnectDefaults.max);
      }
      // Re-register and re-subscribe after every reconnect; the first connect is awaited in start().
      if (this.info) this.resumeUntilDone(socket.id);
    });
    return socket;
  }

  private onConnectError(socket: Socket, err: ConnectError): void {
    if (!this.failover.isCurrent(socket) || this.ended) return;
    const code = err.data?.code;
    // An older hub (a rolling upgrade): offer the newest version both speak, at once.
    if (code === 'PROTOCOL_UNSUPPORTED' && this.downgradeProtocol(err.data?.details)) {
      setTimeout(() => !this.ended && !socket.connected && socket.connect(), 0).unref?.();
      return;
    }
    const final = code !== undefined && FINAL_REFUSALS.has(code);
    if (!final && this.failover.several)
      this.failover.moveOn(this.nextAttemptDelay(), () => this.lifecycle.to('connecting', 'next hub url'));
    // The first connect's own bookkeeping (deadline, final refusals, onConnectRetry): start().
    this.link.emit('connect_error', err);
    if (!this.info || this.ended) return;
    if (final) return this.finish(new HubError(code as ErrorCode, err.data?.message ?? err.message), 'refused');
    // One URL: socket.io-client retries network errors itself; a refusal by the hub's handshake
    // check (the node is stopping, say) it does not, so it is retried here.
    if (this.failover.several || !code) return;
    const delay = this.reconnectDefaults.min + Math.random() * this.reconnectDefaults.max;
    setTimeout(() => {
      if (this.ended || socket.connected) return;
      socket.connect();
    }, delay).unref?.();
  }

  /** After PROTOCOL_UNSUPPORTED: the newest version below the one offered that both sides speak, if any. */
  private downgradeProtocol(details: unknown): boolean {
    const supported = (details as { supported?: unknown } | undefined)?.supported;
    if (!Array.isArray(supported)) return false;
    const usable = supported.filter((v): v is number => typeof v === 'number' && v >= MIN_PROTOCOL && v < this.protocol);
    if (usable.length === 0) return false;
    this.protocol = Math.max(...usable);
    return true;
  }

  /**
   * With several URLs, the wait before the next attempt: the delay a `hub:shutdown` announced for
   * the first one, then short retries while a restarted node comes back (as with one URL), else
   * socket.io-client's own backoff (doubling from reconnectDelayMs to reconnectDelayMaxMs, ±50%).
   */
  private nextAttemptDelay(): number {
    if (this.shutdownDelayMs !== null) {
      const ms = this.shutdownDelayMs;
      this.shutdownDelayMs = null;
      return ms;
    }
    const d = this.reconnectDefaults;
    const cap = this.afterShutdown ? Math.min(d.max, RESTART_RETRY_MAX_MS) : d.max;
    const base = d.min * 2 ** Math.min(16, this.failover.attempts);
    return Math.min(cap, base * (1 + d.jitter * (Math.random() * 2 - 1)));
  }

  /**
   * Connects and registers; rejects with the hub's typed error if the handshake is refused.
   * `connectAgent()` does this for you (and closes the client if it fails).
   *
   * @example
   * const client = new AgentClient({ url, agentId: 'a1', token });
   * client.on('state', ({ state }) => log(state)); // sees the very first 'connected'
   * await client.start();
   */
  async start(): Promise<AgentInfo> {
    if (this.opts.journal) {
      // Re-sent right after registering, before anything new (emits 'journal:settled' for each).
      const left = await this.opts.journal.load();
      this.window.restore(left, (id, outcome) => this.emit('journal:settled', { id, outcome }));
    }
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + (this.opts.connectTimeoutMs ?? 30_000);
      let retry: ReturnType<typeof setTimeout> | undefined;
      const onError = (err: ConnectError) => {
        const code = err.data?.code;
        const typed = code && isErrorCode(code) ? new HubError(code, err.data?.message ?? err.message, err.data?.details) : null;
        // A refusal that says this agent may never connect ends it; anything else (the hub is
        // busy or stopping, the network failed, the handshake timed out) is retried until the
        // connect deadline, so a fleet connecting at once all gets in.
        if ((typed && FINAL_REFUSALS.has(typed.code)) || Date.now() >= deadline || this.ended) {
          cleanup();
          if (typed && FINAL_REFUSALS.has(typed.code)) this.refusal = typed;
          this.failover.stop();
          reject(
            typed ?? new HubError('REQUEST_TIMEOUT', `could not connect within ${this.opts.connectTimeoutMs ?? 30_000} ms: ${err.message}`),
          );
          return;
        }
        this.opts.onConnectRetry?.(typed ?? err);
        // socket.io-client retries network errors itself; a refusal by the hub it does not.
        // (With several URLs the failover schedules every attempt.)
        if (typed && !this.failover.several) {
          const afterMs = retryAfterOf(typed) ?? this.reconnectDefaults.min + Math.random() * this.reconnectDefaults.min;
          retry = setTimeout(() => !this.ended && !this.socket.connected && this.socket.connect(), afterMs);
        }
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(retry);
        this.link.off('connect_error', onError);
        this.link.off('connect', onConnect);
      };
      this.link.on('connect_error', onError);
      this.link.once('connect', onConnect);
      this.socket.connect();
    });
    const info = await this.registerUntil(Date.now() + (this.opts.connectTimeoutMs ?? 30_000));
    this.lifecycle.to('connected', 'registered');
    return info;
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
        if (!retryable || this.ended || Date.now() >= deadline) {
          this.socket.disconnect();
          throw err;
        }
        this.opts.onConnectRetry?.(err as HubError);
        const wait =
          (HubError.is(err) ? retryAfterOf(err) : undefined) ?? Math.min(this.reconnectDefaults.max, this.reconnectDefaults.min * attempt);
        await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      }
    }
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /**
   * `connecting`, `connected` (registered: calls go out at once), `disconnected` (a reconnect is
   * scheduled) or `closed` (for good).
   *
   * @example
   * if (client.state !== 'connected') await new Promise((r) => client.once('connected', r));
   */
  get state(): ClientState {
    return this.lifecycle.state;
  }

  /**
   * Resolves once the client is closed for good — by `close()` (`reason: 'client'`), a handshake
   * refusal no retry can fix (`'refused'`, e.g. a revoked token) or the hub ending the connection
   * (`'replaced'` by a newer connection of the same agent) — with the hub's error if any. Never rejects.
   *
   * @example
   * const { reason, error } = await client.closed();
   * if (reason !== 'client') process.exitCode = 1;
   */
  closed(): Promise<ClosedInfo> {
    return this.lifecycle.closed;
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
    // Below any event a subscription's loop has not finished (see EventSubscription).
    const last = this.delivery.ackableOffset;
    if (last === null) return this.watermark;
    if (this.watermark === null) return last;
    return Math.min(last, this.watermark);
  }

  /** Publishes not durable yet (sent, or held for a reconnect). */
  get pendingPublishes(): number {
    return this.window.depth;
  }

  /**
   * Mark that the agent's own work loop made progress (feeds the default liveness answer).
   *
   * @example
   * for (const job of jobs) { await run(job); client.progress(); }
   */
  progress(): void {
    this.lastProgressAt = Date.now();
  }

  /**
   * Sends one acknowledged event and resolves with the ack's data (rejects with the hub's
   * `HubError`, `REQUEST_TIMEOUT` without an answer, `ABORTED` when `signal` aborts). While the
   * client reconnects, the call waits for the registration first.
   *
   * @example
   * const group = await client.call('group:join', { groupId }, { signal: AbortSignal.timeout(5000) });
   */
  async call<E extends AgentRequestEvent>(
    event: E,
    payload: AgentRequestPayload<E>,
    opts: CallOptions = {},
  ): Promise<AgentRequestAnswer<E>> {
    const { signal } = opts;
    if (signal?.aborted) throw abortedError(event, signal);
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    if (event !== 'agent:register' && this.openGate) await withAbort(this.waitRegistered(event, timeoutMs), signal, event);
    return withAbort(request(this.socket, event, payload, timeoutMs), signal, event);
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
   *
   * `signal`: aborting while the publish waits for a window slot or for a reconnect (not sent yet)
   * rejects with ABORTED and the hub never sees it. Once sent, aborting still rejects at once,
   * frees its slot and stops re-sends, but the hub may have taken it (and deliver it): publish
   * the same id again to find out (a `duplicate: true` answer carries its offset).
   *
   * @example
   * const { offset } = await client.publish('orders:eu:created', { id: 42 }, { priority: 'high', signal: AbortSignal.timeout(5000) });
   */
  publish(topic: string, payload: unknown, opts: { priority?: Priority; id?: string } & CallOptions = {}): Promise<PublishResult> {
    if (this.ended) return Promise.reject(new HubError('REQUEST_TIMEOUT', 'the client is closed'));
    return this.window.publish({ topic, payload, priority: opts.priority, id: opts.id ?? timeOrderedId() }, opts.signal);
  }

  /**
   * Runs `handler` once per event matching `patterns` (deduped by id, retried, dead-lettered after
   * `handlerAttempts`); resolves with the hub's answer once replayed events have arrived. An
   * aborted subscribe takes its handler back (and unsubscribes at the hub if it got that far).
   * For a handle with `unsubscribe()` and `for await`, see `subscription()`.
   *
   * @example
   * const { replayed } = await client.subscribe(['orders:#'], async (e) => handle(e.payload), { policy: 'full' });
   */
  async subscribe(patterns: string[], handler: EventHandler, opts: SubscribeOptions & CallOptions = {}): Promise<SubscribeResult> {
    const { signal, ...sub } = opts;
    this.subs.add(patterns, handler);
    for (const p of patterns) this.policies.set(p, sub);
    try {
      return await this.sendSubscribe(patterns, { ...sub, fromOffset: sub.fromOffset ?? this.resumeOffset ?? undefined }, signal);
    } catch (err) {
      if (HubError.is(err, 'ABORTED')) this.dropHandler(patterns, handler);
      throw err;
    }
  }

  /**
   * Subscribes and returns a handle: iterate it (`for await`) to take the events, in delivery
   * order; `unsubscribe()` or leaving the loop ends it. The loop's events are acked only once it
   * has taken them (see `EventSubscription` for the buffer and what happens to a slow loop).
   *
   * @example
   * const sub = await client.subscription(['jobs:*'], { bufferSize: 100 });
   * for await (const e of sub) {
   *   await run(e.payload);
   *   if (e.payload === 'stop') break; // unsubscribes
   * }
   */
  async subscription(patterns: string[], opts: SubscriptionOptions = {}): Promise<EventSubscription> {
    const { bufferSize, ...rest } = opts;
    const sub: EventSubscription = new EventSubscription({
      patterns: [...patterns],
      bufferSize: Math.max(1, bufferSize ?? DEFAULT_SUBSCRIPTION_BUFFER),
      pin: (offset) => this.delivery.pin(offset),
      unpin: (offset) => this.delivery.unpin(offset),
      remove: async (handler) => {
        this.loops.delete(sub);
        if (!this.ended) await this.unsubscribe(patterns, handler);
      },
    });
    this.loops.add(sub);
    try {
      sub.result = await this.subscribe(patterns, sub.handler, rest);
    } catch (err) {
      this.loops.delete(sub);
      sub.end();
      this.dropHandler(patterns, sub.handler);
      throw err;
    }
    return sub;
  }

  /**
   * Removes `handler` from `patterns` (every handler without one); a pattern with no handler left
   * is unsubscribed at the hub.
   *
   * @example
   * await client.unsubscribe(['orders:#'], onOrder);
   */
  async unsubscribe(patterns: string[], handler?: EventHandler, opts: CallOptions = {}): Promise<void> {
    const gone = this.subs.remove(patterns, handler);
    gone.forEach((p) => this.policies.delete(p));
    if (gone.length) await this.call('event:unsubscribe', { patterns: gone }, opts);
  }

  /** Takes a handler back after a subscribe that did not complete; the hub forgets what no handler uses. */
  private dropHandler(patterns: string[], handler: EventHandler): void {
    const gone = this.subs.remove(patterns, handler);
    gone.forEach((p) => this.policies.delete(p));
    if (gone.length && !this.ended) void this.call('event:unsubscribe', { patterns: gone }).catch(() => undefined);
  }

  /**
   * Sessions this agent is a member of. Every method takes an optional last `{ signal }`: an abort
   * rejects with ABORTED at once; a request already sent may still be applied by the hub (appends
   * carry message ids, so sending the same append again is safe).
   *
   * @example
   * const s = await client.sessions.create({ members: ['b1'], metadata: { topic: 'triage' } });
   * await client.sessions.append(s.id, { messages: [{ role: 'agent', content: 'hello' }] });
   * const { messages } = await client.sessions.get(s.id, true, { signal: AbortSignal.timeout(3000) });
   */
  readonly sessions = {
    create: (p: CreateSession = {}, opts?: CallOptions) => this.call('session:create', p, opts),
    get: (id: string, history = true, opts?: CallOptions) => this.call('session:get', { id, history }, opts),
    list: (q: SessionListQuery = {}, opts?: CallOptions) => this.call('session:list', q, opts),
    update: (id: string, p: UpdateSession, opts?: CallOptions) => this.call('session:update', { id, ...p }, opts),
    /**
     * Appends messages; resolves with the stored messages, or with `pending` while the hub's store
     * is down (the write is journaled and applied in order later). Messages without an id get a
     * UUID, so a re-send of the same call is recognised and answered with the original result.
     */
    append: (id: string, p: AppendMessages, opts?: CallOptions) => this.appendMessages(id, p, opts),
    setState: (id: string, state: unknown, version?: number, opts?: CallOptions) =>
      this.call('session:state', { id, state, version }, opts),
  };

  private async appendMessages(sessionId: string, p: AppendMessages, opts?: CallOptions): Promise<AppendResult> {
    const messages = p.messages.map((m) => ({ ...m, id: m.id ?? timeOrderedId() }));
    const payload = { ...p, id: sessionId, messages };
    const attempts = Math.max(1, this.opts.appendAttempts ?? 2);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call('session:append', payload, opts);
      } catch (err) {
        // No answer says nothing about whether the hub took it; the same ids make asking again safe.
        if (!HubError.is(err, 'REQUEST_TIMEOUT') || attempt >= attempts || this.ended) throw err;
      }
    }
  }

  /**
   * This agent's saved state in each of its live sessions (restore after a restart).
   *
   * @example
   * for (const { sessionId, state } of await client.restoreState()) resumeWork(sessionId, state);
   */
  restoreState(opts?: CallOptions): Promise<Array<{ sessionId: string; version: number; state: unknown }>> {
    return this.call('agent:restore', {}, opts);
  }

  /**
   * Waits until every event received so far has been handled (tests, graceful stops).
   *
   * @example
   * await client.idle();
   * await client.close();
   */
  idle(): Promise<void> {
    return this.delivery.idle();
  }

  /**
   * Closes for good: acks what was processed, rejects publishes still in the window (a journal
   * keeps them for the next run), ends `subscription()` loops, disconnects; `closed()` resolves.
   *
   * @example
   * process.once('SIGTERM', () => void client.close());
   */
  async close(): Promise<void> {
    await this.shutdown(this.refusal ? { reason: 'refused', error: this.refusal } : { reason: 'client' });
  }

  private async shutdown(info: ClosedInfo): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.sweepTimer);
    this.tokens.close();
    this.delivery.flushAck();
    this.window.close(new HubError('REQUEST_TIMEOUT', 'the client was closed before the hub confirmed this publish'));
    await this.opts.journal?.close?.();
    this.failover.stop();
    // After the last ack and the disconnect: events still waiting for a loop are not acked, so a
    // restarted process gets them again (as its replay policy allows).
    for (const loop of this.loops) loop.end();
    this.loops.clear();
    this.lifecycle.close(info);
    this.removeAllListeners();
  }

  /** The hub will not take this agent back (bad token, replaced, unsupported protocol). */
  private finish(err: HubError, reason: ClosedInfo['reason']): void {
    this.emit('closed', err);
    void this.shutdown({ reason, error: err });
  }

  private async register(): Promise<AgentInfo> {
    const o = this.opts;
    const away = this.disconnectedAt === null ? undefined : { afterMs: Math.max(0, Date.now() - this.disconnectedAt) };
    this.info = await this.call('agent:register', {
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
      if (this.ended || !this.socket.connected || this.socket.id !== connection) return; // a new connection resumes on its own
      const delay = Math.min(this.reconnectDefaults.max, this.reconnectDefaults.min * 2 ** attempt);
      setTimeout(() => {
        if (!this.ended && this.socket.connected && this.socket.id === connection) this.resumeUntilDone(connection, attempt + 1);
      }, delay).unref?.();
    });
  }

  private async resume(): Promise<void> {
    await this.register();
    const open = this.openGate;
    this.openGate = null;
    open?.();
    this.lifecycle.to('connected', 'registered again');
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
      this.info = await this.call('agent:replay-report', { replayed, failed });
      this.emit('replayed', { replayed, failed });
    }
  }

  private async sendSubscribe(patterns: string[], opts: SubscribeOptions, signal?: AbortSignal): Promise<SubscribeResult> {
    // Replayed events arrive before the ack; hold live ones until then so handlers see offset order.
    this.delivery.hold();
    try {
      const r = await this.call('event:subscribe', { patterns, ...opts }, { signal });
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

/**
 * Connects, registers, and returns the ready client (rejects with the hub's typed error if it
 * refuses the agent, or REQUEST_TIMEOUT after `connectTimeoutMs`).
 *
 * @example
 * const client = await connectAgent({ url: 'http://127.0.0.1:3000', agentId: 'a1', token: process.env.AGENT_TOKEN!, capabilities: ['summarize'] });
 */
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
