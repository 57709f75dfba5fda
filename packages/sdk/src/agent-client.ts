import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import {
  AGENTS_NAMESPACE,
  HubError,
  type AgentInfo,
  type AppendMessages,
  type CreateSession,
  type HubEvent,
  type LivenessReport,
  type Page,
  type Priority,
  type PublishResult,
  type RegisterAgent,
  type ReplayPolicy,
  type Session,
  type SessionListQuery,
  type SessionMessage,
  type SessionWithHistory,
  type SubscribeResult,
  type UpdateSession,
} from '@agent-hub/protocol';
import { ProcessedRegistry } from './processed-registry.ts';
import { request } from './request.ts';
import { Subscriptions, type EventHandler } from './subscriptions.ts';
import { DeliveryQueue } from './delivery-queue.ts';

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
  /** Reconnect backoff: first delay and cap (ms), with jitter. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Handler retries before an event is dead-lettered. */
  handlerAttempts?: number;
  handlerBackoffMs?: number;
  processedCapacity?: number;
  /** Resume point for a restarted process that persisted it; default: what the hub recorded. */
  lastOffset?: number;
}

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
        this.call('event:nack', { id: e.id, offset: e.offset, attempts, error }).catch(() => undefined),
      onError: (err) => this.emit('error', err),
    });
    const urls = (Array.isArray(opts.url) ? opts.url : [opts.url]).map((u) => u.replace(/\/$/, ''));
    if (urls.length === 0) throw new HubError('VALIDATION_FAILED', 'connectAgent needs at least one hub url');
    this.socket = io(urls[0]! + AGENTS_NAMESPACE, {
      // A function, so every reconnect sends the offset reached by then.
      auth: (cb) => cb({ agentId: opts.agentId, token: opts.token, lastOffset: this.delivery.lastOffset ?? undefined }),
      transports: ['websocket'],
      // One connection per agent: its own heartbeat, its own fate (no multiplexing with other sockets).
      forceNew: true,
      reconnectionDelay: opts.reconnectDelayMs ?? 500,
      reconnectionDelayMax: opts.reconnectDelayMaxMs ?? 5000,
      randomizationFactor: 0.5,
      autoConnect: false,
    });
    if (urls.length > 1) {
      let at = 0;
      // Manager.uri is read on every (re)open: rotating it is how the client fails over between nodes.
      this.socket.io.on('reconnect_attempt', () => {
        at = (at + 1) % urls.length;
        (this.socket.io as unknown as { uri: string }).uri = urls[at]!;
      });
    }
    this.socket.on('event', (e: HubEvent) => this.delivery.push(e));
    this.socket.on('events', (list: HubEvent[]) => list.forEach((e) => this.delivery.push(e, false)));
    this.socket.on('liveness:probe', (_p: unknown, ack: (r: LivenessReport) => void) => {
      void this.answerLiveness().then(ack, (err) => ack({ ok: false, detail: String(err) }));
    });
    this.socket.on('agent:restart', (p: { reason: string }) => this.emit('restart', p));
    this.socket.on('agent:assigned', (p: { replaces: string; sessions: string[] }) => this.emit('assigned', p));
    this.socket.on('hub:shutdown', (p) => this.emit('hub:shutdown', p));
    this.socket.on('hub:error', (p) => this.emit('hub:error', p));
    for (const ev of ['group:turn', 'group:message', 'group:ended']) {
      this.socket.on(ev, (p: unknown) => this.emit(ev, p));
    }
    this.socket.on('disconnect', (reason) => {
      // Hold calls made from now on until the agent has registered again: otherwise socket.io-client
      // would flush them on reconnect ahead of `agent:register` and the hub would refuse them.
      if (!this.openGate) this.registeredGate = new Promise<void>((resolve) => (this.openGate = resolve));
      this.emit('disconnected', reason);
    });
    this.socket.on('connect', () => {
      // Re-register and re-subscribe after every reconnect; the first connect is awaited in start().
      if (this.info) void this.resume().catch((err) => this.emit('error', err));
    });
    this.sweepTimer = setInterval(() => this.processed.sweep(), 60 * 60_000);
    this.sweepTimer.unref?.();
  }

  /** Connects and registers; rejects with the hub's typed error if the handshake is refused. */
  async start(): Promise<AgentInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { data?: { code?: string; message?: string } }) => {
        cleanup();
        this.socket.disconnect();
        const code = err.data?.code ?? err.message;
        reject(new HubError(isKnown(code) ? code : 'UNAUTHENTICATED', err.data?.message ?? err.message));
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        this.socket.off('connect_error', onError);
        this.socket.off('connect', onConnect);
      };
      this.socket.once('connect_error', onError);
      this.socket.once('connect', onConnect);
      this.socket.connect();
    });
    return this.register();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get lastOffset(): number | null {
    return this.delivery.lastOffset;
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

  publish(topic: string, payload: unknown, opts: { priority?: Priority; id?: string } = {}): Promise<PublishResult> {
    return this.call('event:publish', { topic, payload, priority: opts.priority, id: opts.id });
  }

  async subscribe(patterns: string[], handler: EventHandler, opts: SubscribeOptions = {}): Promise<SubscribeResult> {
    this.subs.add(patterns, handler);
    for (const p of patterns) this.policies.set(p, opts);
    return this.sendSubscribe(patterns, { ...opts, fromOffset: opts.fromOffset ?? this.delivery.lastOffset ?? undefined });
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
    append: (id: string, p: AppendMessages) =>
      this.call<{ session: Session; messages: SessionMessage[] }>('session:append', { id, ...p }),
    setState: (id: string, state: unknown, version?: number) =>
      this.call<Session>('session:state', { id, state, version }),
  };

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
    this.socket.disconnect();
    this.removeAllListeners();
  }

  private async register(): Promise<AgentInfo> {
    const o = this.opts;
    this.info = await this.call<AgentInfo>('agent:register', {
      name: o.name ?? o.agentId,
      capabilities: o.capabilities ?? [],
      priority: o.priority,
      recovery: o.recovery,
      meta: o.meta,
    });
    return this.info;
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
    let replayed = 0;
    for (const [policy, patterns] of byPolicy) {
      const r = await this.sendSubscribe(patterns, {
        policy: (policy || undefined) as ReplayPolicy | undefined,
        fromOffset: this.delivery.lastOffset ?? undefined,
      });
      replayed += r.replayed;
    }
    this.emit('resumed', this.info);
    if (replayed > 0) {
      // Tell the hub how the catch-up went: mostly failing marks this agent degraded there.
      await this.delivery.idle();
      const failed = this.delivery.failedCount - failedBefore;
      this.info = await this.call<AgentInfo>('agent:replay-report', { replayed, failed });
      this.emit('replayed', { replayed, failed });
    }
  }

  private async sendSubscribe(patterns: string[], opts: SubscribeOptions): Promise<SubscribeResult> {
    // Replayed events arrive before the ack; hold live ones until then so handlers see offset order.
    this.delivery.hold();
    try {
      return await this.call<SubscribeResult>('event:subscribe', { patterns, ...opts });
    } finally {
      this.delivery.release();
    }
  }

  private async answerLiveness(): Promise<LivenessReport> {
    if (this.opts.liveness) return this.opts.liveness();
    const stale = this.opts.progressStaleMs;
    const ok = stale === undefined || Date.now() - this.lastProgressAt < stale;
    return { ok, lastProgressAt: new Date(this.lastProgressAt).toISOString() };
  }
}

function isKnown(code: string): code is 'UNAUTHENTICATED' | 'AGENT_UNAUTHORIZED' | 'HUB_SHUTTING_DOWN' {
  return code === 'UNAUTHENTICATED' || code === 'AGENT_UNAUTHORIZED' || code === 'HUB_SHUTTING_DOWN';
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
