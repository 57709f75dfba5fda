import {
  PRIORITY_RANK,
  patternsMatching,
  topicMatches,
  type DeadLetter,
  type HubEvent,
  type Priority,
  type PublishResult,
  type ReplayPolicy,
} from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { EventLog, EventQuery } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import { EventBatcher } from './event-batcher.ts';
import { RecentIds } from './recent-ids.ts';
import type { OffsetAllocator } from './offset-allocator.ts';

/** Delivers an event to every subscriber of the given rooms (Socket.IO rooms in the hub). */
export interface Fanout {
  /** `rooms` is shared between events on the same topic (`roomsForTopic`): read it, never change it. */
  deliver(event: HubEvent, rooms: readonly string[]): void;
}

export interface EventBusOptions {
  log: EventLog;
  fanout: Fanout;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  batchMax: number;
  batchDelayMs: number;
  /** Replay policy for a pattern when the subscriber names none (per-topic YAML, then default). */
  policyFor: (pattern: string) => ReplayPolicy;
  /** How long after publishing a duplicate id is still recognised without the store (ms). */
  dedupeWindowMs?: number;
  onStoreState?: (down: boolean, failures: number) => void;
  /** A batch reached the log: how many events, and how long the store took (ms), for metrics. */
  onCommit?: (events: number, ms: number) => void;
  /**
   * While the log cannot be written, ping the store on this schedule to flush as soon as it
   * answers; with `boundedWait`, a commit and a ping both unanswered for `timeoutMs` count as a
   * store that went silent (see EventBatcher).
   */
  storeProbe?: { ping: () => Promise<void>; intervalMs: number; timeoutMs: number; boundedWait?: boolean };
  random?: () => number;
  /** ReservedOffsets on one node, a shared allocator when several nodes write one log. */
  offsets: OffsetAllocator;
}

export interface EventBusEvents {
  published: [HubEvent];
  deadLetter: [DeadLetter];
  /** Events whose publishers were told `durable: false` are committed now. */
  lateDurable: [HubEvent[]];
  /** An id published again: `retry` when the publisher marked it as a re-send. */
  duplicate: [{ id: string; retry: boolean }];
  republished: [{ id: string; found: boolean }];
}

export interface PublishInput {
  id?: string;
  topic: string;
  priority: Priority;
  payload: unknown;
  /** The publisher may have sent this id before (to any node): the log decides if it is new. */
  retry?: boolean;
}

/** An accepted publish: delivered (or recognised as a duplicate); `done` settles with the ack. */
export interface Accepted {
  done: Promise<PublishResult>;
}

/** Room name for a topic pattern; prefixed so topics never collide with other rooms. */
export const topicRoom = (pattern: string) => `t:${pattern}`;

/** Topics whose rooms are kept; past this many the list starts again (a client inventing topics only costs lookups). */
const ROOMS_KEPT = 4096;
const roomsKept = new Map<string, readonly string[]>();

/**
 * The rooms an event on `topic` is delivered to: the room of every pattern matching it. Topics
 * repeat, so the list is made once per topic and shared (frozen): building it for every event
 * (split, joins, one string per room) was ~760 bytes an event, ~10 % of what the hub allocated
 * per event at 10,000/s.
 */
export function roomsForTopic(topic: string): readonly string[] {
  let rooms = roomsKept.get(topic);
  if (!rooms) {
    if (roomsKept.size >= ROOMS_KEPT) roomsKept.clear();
    rooms = Object.freeze(patternsMatching(topic).map(topicRoom));
    roomsKept.set(topic, rooms);
  }
  return rooms;
}

/** Ids of the log's recent events that a starting hub puts in its dedupe window, read so many at a time. */
const RECENT_IDS_AT_START = 200_000;
const RECENT_IDS_PAGE = 10_000;

/**
 * The event bus: assigns offsets, fans out at once, persists in batches, and acks each publisher
 * when its batch is committed (deliver first, then durable ack). Duplicate ids are recognised and
 * not delivered again.
 */
export class EventBus extends TypedEmitter<EventBusEvents> {
  private readonly offsets: OffsetAllocator;
  /** Ids answered `durable: false` and not committed yet (their duplicates are not durable either). */
  private readonly notDurable = new Set<string>();
  private readonly inflight = new Map<string, Promise<PublishResult>>();
  /** The last accept time stamped, and its text: at 10,000/s ten events share each millisecond. */
  private stampedAt = Number.NaN;
  private stamp = '';
  private readonly recent = new RecentIds(200_000);
  private readonly batcher: EventBatcher;
  private readonly offsetWrites = new Map<string, number>();
  private offsetTimer: ReturnType<Clock['setTimeout']> | null = null;

  constructor(private readonly o: EventBusOptions) {
    super();
    this.offsets = o.offsets;
    const batching = { max: o.batchMax, delayMs: o.batchDelayMs, probe: o.storeProbe, random: o.random };
    this.batcher = new EventBatcher(o.log, o.clock, batching, o.logger, {
      onStoreState: o.onStoreState,
      onCommitted: (events, late, ms) => {
        o.onCommit?.(events.length, ms);
        this.offsets.settled?.(events.map((e) => e.offset));
        if (!late.length) return;
        for (const e of late) this.notDurable.delete(e.id);
        this.emit('lateDurable', late);
      },
      onGivenUp: (events) => {
        for (const e of events) this.notDurable.delete(e.id);
        this.offsets.settled?.(events.map((e) => e.offset));
      },
    });
  }

  /** Continues the offset sequence of the log and remembers recent ids for dedupe across restarts. */
  async start(): Promise<void> {
    await this.offsets.start(await this.o.log.maxOffset());
    const since = this.o.clock.now() - (this.o.dedupeWindowMs ?? 10 * 60_000);
    // In pages: read in one, 200,000 whole events (payloads parsed, cloned from the store's worker)
    // put a hub starting on a log of 2,000,000 events at 435 MB RSS when ready, 306 MB 15 s later;
    // in pages of 10,000, 247 and 212 MB (PGlite's WASM memory grows to hold a result, never shrinks).
    let after: number | undefined;
    for (let read = 0; read < RECENT_IDS_AT_START;) {
      const limit = Math.min(RECENT_IDS_PAGE, RECENT_IDS_AT_START - read);
      const page = await this.o.log.readEvents({ from: since, afterOffset: after, limit });
      for (const e of page) this.recent.add(e.id, e.offset);
      read += page.length;
      if (page.length < limit) break;
      after = page[page.length - 1]!.offset;
    }
  }

  get currentOffset(): number {
    return this.offsets.current();
  }

  /**
   * The committed watermark W: every offset ≤ W is committed or will never exist. A subscriber
   * resuming after min(highest processed, W) cannot skip an event; offsets agents report are
   * clamped to it. On one node it sits just below the oldest uncommitted event; with several
   * nodes the shared allocator's cluster-wide view bounds it too.
   */
  get watermark(): number {
    const low = this.batcher.lowestPending();
    const local = low === undefined ? this.offsets.current() : low - 1;
    const shared = this.offsets.watermark?.();
    return shared === undefined ? local : Math.min(local, shared);
  }

  /** True when another node may hold uncommitted offsets this node's replay cannot see. */
  get shared(): boolean {
    return this.offsets.watermark !== undefined;
  }

  get gaps(): number {
    return this.offsets.gaps?.() ?? 0;
  }

  get storeDown(): boolean {
    return this.batcher.storeDown;
  }

  publish(publisher: string, input: PublishInput): Promise<PublishResult> {
    const id = input.id ?? this.o.newId();
    const known = this.known(id, input);
    if (known) return known;
    // The common case, an offset at hand: delivered and queued now, in this call. Through the
    // async path each event also paid for a suspended async function and the promises around it.
    // A throw on the way is the caller's rejection, as it was from the async path.
    let offset: number | Promise<number> | undefined;
    try {
      offset = input.retry ? undefined : this.offsets.next();
      if (typeof offset === 'number') return this.numbered(id, offset, publisher, input);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.track(id, this.publishNew(id, publisher, input, noop, offset));
  }

  /**
   * Dedupes, numbers and delivers an event; resolves once it is delivered (or known), so a
   * caller that accepts one publisher's events in sequence keeps their order. `done` settles
   * when the event is committed (`durable: true`) or queued while the store is down (`false`).
   */
  async accept(publisher: string, input: PublishInput): Promise<Accepted> {
    const id = input.id ?? this.o.newId();
    const known = this.known(id, input);
    if (known) return { done: known };
    let delivered: () => void = noop;
    const onDelivered = new Promise<void>((resolve) => (delivered = resolve));
    const done = this.track(id, this.publishNew(id, publisher, input, delivered));
    await Promise.race([onDelivered, done.then(noop, noop)]);
    return { done };
  }

  /** The answer for an id already accepted here, or undefined for a new one. */
  private known(id: string, input: PublishInput): Promise<PublishResult> | undefined {
    // The same id still being accepted or committed: this copy is its duplicate, durable with it.
    const racing = this.inflight.get(id);
    if (racing) {
      this.emit('duplicate', { id, retry: input.retry === true });
      return racing.then((r) => ({ ...r, duplicate: true }));
    }
    const offset = this.recent.get(id);
    if (offset === undefined) return undefined;
    this.emit('duplicate', { id, retry: input.retry === true });
    // Not in flight any more: committed, unless its publisher was told it is queued.
    return Promise.resolve({ id, offset, durable: !this.notDurable.has(id), duplicate: true });
  }

  private track(id: string, done: Promise<PublishResult>): Promise<PublishResult> {
    this.inflight.set(id, done);
    const forget = () => this.inflight.delete(id);
    done.then(forget, forget);
    return done;
  }

  /**
   * Delivers and queues an event that has its offset. It is in flight (a duplicate waits for its
   * answer) until the batcher says whether it is durable; one told `false` that commits after
   * all is reported by `lateDurable`.
   */
  private numbered(id: string, offset: number, publisher: string, input: PublishInput): Promise<PublishResult> {
    const event = this.deliverNew(id, offset, publisher, input);
    let answer!: (result: PublishResult) => void;
    const done = new Promise<PublishResult>((resolve) => (answer = resolve));
    // In flight before it is queued: a store known to be down answers within `enqueue`.
    this.inflight.set(id, done);
    this.batcher.enqueue(event, (durable) => {
      this.inflight.delete(id);
      if (!durable) this.notDurable.add(id);
      answer({ id, offset, durable, duplicate: false });
    });
    return done;
  }

  /** Stamps, remembers and delivers a new event (to this node's rooms; the log comes next). */
  private deliverNew(id: string, offset: number, publisher: string, input: PublishInput): HubEvent {
    const event: HubEvent = {
      id,
      offset,
      topic: input.topic,
      priority: input.priority,
      ts: this.acceptedAt(),
      publisher,
      payload: input.payload,
    };
    this.recent.add(id, offset);
    this.o.fanout.deliver(event, roomsForTopic(event.topic));
    this.emit('published', event);
    return event;
  }

  /** Now as ISO text, made once per millisecond (a Date and its text were ~170 bytes an event). */
  private acceptedAt(): string {
    const now = this.o.clock.now();
    if (now !== this.stampedAt) {
      this.stamp = new Date(now).toISOString();
      this.stampedAt = now;
    }
    return this.stamp;
  }

  /** `pending`: the offset `publish` already asked for, still on its way. */
  private async publishNew(
    id: string,
    publisher: string,
    input: PublishInput,
    delivered: () => void,
    pending?: Promise<number>,
  ): Promise<PublishResult> {
    if (input.retry) {
      // A re-send (after a reconnect, possibly to another node): the log's unique id decides.
      const stored = await this.storedOffset(id);
      this.emit('republished', { id, found: stored !== undefined });
      if (stored !== undefined) {
        this.recent.add(id, stored);
        this.emit('duplicate', { id, retry: true });
        return { id, offset: stored, durable: true, duplicate: true };
      }
    }
    const offset = await (pending ?? this.offsets.next());
    const event = this.deliverNew(id, offset, publisher, input);
    const committed = this.batcher.add(event);
    delivered();
    const durable = await committed;
    if (!durable) this.notDurable.add(id);
    return { id, offset, durable, duplicate: false };
  }

  /** The offset of an id already in the log; undefined if absent or the store cannot tell now. */
  private async storedOffset(id: string): Promise<number | undefined> {
    try {
      return (await this.o.log.offsetsOf([id])).get(id);
    } catch (err) {
      // Unknown while the store is down: deliver it again (subscribers dedupe by id); the log
      // keeps one copy, since appends skip ids already stored.
      this.o.logger.warn({ err: String(err), id }, 'republished event not checked against the log');
      return undefined;
    }
  }

  /**
   * Resolves true once the watermark reaches `offset` (false after `timeoutMs`). Polled: the
   * watermark moves with commits here and with the shared allocator's view of other nodes.
   */
  async waitWatermark(offset: number, timeoutMs: number): Promise<boolean> {
    const deadline = this.o.clock.now() + timeoutMs;
    while (this.watermark < offset) {
      if (this.o.clock.now() >= deadline) return false;
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, 20));
    }
    return true;
  }

  /** The highest offset handed out anywhere (cluster-wide when shared): what a new room may have missed. */
  async allocatedUpTo(): Promise<number> {
    return (await this.offsets.allocatedUpTo?.()) ?? this.offsets.current();
  }

  /**
   * Events after `afterOffset` matching `patterns`, committed or still queued, in offset order,
   * filtered by each pattern's replay policy (`none` patterns contribute nothing).
   */
  async replayFor(patterns: string[], afterOffset: number, policy?: ReplayPolicy, limit = 100_000): Promise<HubEvent[]> {
    const full: string[] = [];
    const critical: string[] = [];
    for (const p of patterns) {
      const pol = policy ?? this.o.policyFor(p);
      if (pol === 'full') full.push(p);
      else if (pol === 'critical-only') critical.push(p);
    }
    const ofFull = () => this.query({ afterOffset, patterns: full, limit });
    const ofCritical = () => this.query({ afterOffset, patterns: critical, minPriority: 'critical', limit });
    // One policy for all (the common case): the query's own order and limit, no merge.
    if (!critical.length) return full.length ? ofFull() : [];
    if (!full.length) return ofCritical();
    const parts = await Promise.all([ofFull(), ofCritical()]);
    const byOffset = new Map<number, HubEvent>();
    for (const e of parts.flat()) byOffset.set(e.offset, e);
    return [...byOffset.values()].sort((a, b) => a.offset - b.offset).slice(0, limit);
  }

  /** Reads the log (committed and queued events) with the replay filters. */
  async query(q: EventQuery): Promise<HubEvent[]> {
    // The queue is read before the store: a batch that commits while the store read runs leaves
    // the queue and may be missing from the read's snapshot too. Read after, it fell between the
    // two and a resuming subscriber never got those events (live delivery went out before it
    // joined). Read first, every event is in one of them at least; duplicates are merged.
    const queued = this.batcher.pending().filter((e) => matches(e, q));
    const stored = await this.o.log.readEvents(q);
    if (!queued.length) return stored;
    const byOffset = new Map(stored.map((e) => [e.offset, e]));
    for (const e of queued) if (!byOffset.has(e.offset)) byOffset.set(e.offset, e);
    return [...byOffset.values()].sort((a, b) => a.offset - b.offset).slice(0, q.limit);
  }

  /**
   * Records how far an agent got; written behind (once a second at most) since it only moves
   * forward. Clamped to the watermark: an offset above it could hide an uncommitted event.
   */
  recordOffset(agentId: string, reported: number): void {
    const offset = Math.min(reported, this.watermark);
    if (offset > (this.offsetWrites.get(agentId) ?? -1)) this.offsetWrites.set(agentId, offset);
    this.offsetTimer ??= this.o.clock.setTimeout(() => void this.flushOffsets(), 1000);
  }

  async agentOffset(agentId: string): Promise<number | null> {
    const pending = this.offsetWrites.get(agentId);
    const stored = await this.o.log.getAgentOffset(agentId);
    return Math.max(pending ?? -1, stored ?? -1) >= 0 ? Math.max(pending ?? 0, stored ?? 0) : null;
  }

  async deadLetter(
    agentId: string,
    input: { id: string; offset: number; topic?: string; attempts: number; error: string },
  ): Promise<DeadLetter> {
    const d: DeadLetter = {
      id: this.o.newId(),
      eventId: input.id,
      offset: input.offset,
      topic: input.topic ?? (await this.topicOf(input.offset)) ?? 'unknown',
      agentId,
      attempts: input.attempts,
      error: input.error,
      at: new Date(this.o.clock.now()).toISOString(),
      status: 'open',
      resolvedBy: null,
      resolvedAt: null,
    };
    await this.o.log.addDeadLetter(d);
    this.emit('deadLetter', d);
    return d;
  }

  /** The event at `offset` (committed or still queued) if it is still `id`: what a dead-letter retry sends. */
  async eventAt(offset: number, id: string): Promise<HubEvent | undefined> {
    const [e] = await this.query({ afterOffset: offset - 1, limit: 1 });
    return e?.offset === offset && e.id === id ? e : undefined;
  }

  async cleanup(retentionMs: number, perPattern: Record<string, number> = {}): Promise<number> {
    const now = this.o.clock.now();
    let removed = 0;
    for (const [pattern, ms] of Object.entries(perPattern)) removed += await this.o.log.deleteEventsBefore(now - ms, pattern);
    removed += await this.o.log.deleteEventsBefore(now - retentionMs);
    return removed;
  }

  async close(): Promise<void> {
    await this.batcher.close();
    await this.flushOffsets();
    await this.offsets.close?.();
  }

  private async flushOffsets(): Promise<void> {
    if (this.offsetTimer) this.o.clock.clearTimeout(this.offsetTimer);
    this.offsetTimer = null;
    const writes = [...this.offsetWrites];
    this.offsetWrites.clear();
    try {
      await Promise.all(writes.map(([a, off]) => this.o.log.setAgentOffset(a, off)));
    } catch (err) {
      // Keep them for the next round; a lower offset only means a longer replay, never a gap.
      for (const [a, off] of writes) if (off > (this.offsetWrites.get(a) ?? -1)) this.offsetWrites.set(a, off);
      this.o.logger.warn({ err: String(err) }, 'agent offsets not saved; will retry');
      this.offsetTimer ??= this.o.clock.setTimeout(() => void this.flushOffsets(), 5000);
    }
  }

  private async topicOf(offset: number): Promise<string | undefined> {
    const [e] = await this.o.log.readEvents({ afterOffset: offset - 1, limit: 1 });
    return e?.offset === offset ? e.topic : undefined;
  }
}

function noop(): void {}

function matches(e: HubEvent, q: EventQuery): boolean {
  const t = Date.parse(e.ts);
  if (q.afterOffset !== undefined && e.offset <= q.afterOffset) return false;
  if (q.from !== undefined && t < q.from) return false;
  if (q.to !== undefined && t >= q.to) return false;
  if (q.minPriority && PRIORITY_RANK[e.priority] < PRIORITY_RANK[q.minPriority]) return false;
  if (q.patterns?.length && !q.patterns.some((p) => topicMatches(p, e.topic))) return false;
  return true;
}
