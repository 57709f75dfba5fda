import { Redis } from 'ioredis';
import { HubError } from '@agent-hub/protocol';
import { systemClock, type Clock, type Logger, type OffsetAllocator, type TimerHandle } from '@agent-hub/core';
import { inflightMember, offsetKeys, offsetScripts, type OffsetKeys, type OffsetScripts } from './offset-scripts.ts';
import { UnsettledRanges } from './unsettled-ranges.ts';
import { FallbackRange, hashSlot } from './fallback-range.ts';
import { WatermarkPoller } from './watermark-poller.ts';
import { TickBatcher } from './tick-batcher.ts';
import { InflightRemovals } from './inflight-removals.ts';

export interface RedisOffsetsOptions {
  url: string;
  /** The counter's key; the in-flight set and the rest sit beside it (see offsetKeys). */
  key: string;
  /** This node's id: it names its in-flight ranges, so survivors can release them if it dies. */
  node: string;
  /** The highest offset in the log, read again on every (re)connect. */
  logMax: () => Promise<number>;
  /** How long the watermark holds after Redis lost its data (NODE_TTL_MS + 1 s: every live node reconnects and re-adds its ranges meanwhile). */
  resetHoldMs: number;
  logger: Logger;
  clock?: Clock;
  pollMs?: number;
  removeDelayMs?: number;
  /** Added to the counter after a loss: room for offsets other nodes had in flight that nobody here saw. */
  resetMargin?: number;
}

type Mode = 'offline' | 'syncing' | 'online';

const LOG_MAX_TIMEOUT_MS = 2000;
const RESYNC_DELAY_MS = 1000;

/**
 * Event offsets for several hub nodes sharing one log, with a cluster-wide committed watermark.
 * Offsets are allocated at use time: the requests of one event-loop turn cost one script call
 * that takes a range from the counter and marks it in flight; a range leaves the in-flight set
 * when all its events are settled. The watermark (polled) is just below the lowest range in
 * flight, so it never passes an offset some node may still commit. While Redis is away the node
 * numbers from its fallback range (see FallbackRange); when Redis answers again — including a
 * Redis that restarted empty — `sync` puts the counter above everything used and re-adds this
 * node's unsettled ranges before Redis numbers anything for it again.
 */
export class RedisOffsets implements OffsetAllocator {
  /** Exposed so tests can count round trips. */
  readonly client: Redis;
  private readonly keys: OffsetKeys;
  private readonly scripts: OffsetScripts;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly ranges = new UnsettledRanges();
  private readonly fallback = new FallbackRange();
  private readonly w: WatermarkPoller;
  private readonly batches: TickBatcher;
  private mode: Mode = 'offline';
  private closed = false;
  private last = 0;
  private seen = 0;
  private logMaxKnown = 0;
  private slot: number | null = null;
  private skipped = 0;
  private readonly removals: InflightRemovals;
  private resyncTimer: TimerHandle | undefined;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;

  constructor(private readonly o: RedisOffsetsOptions) {
    this.log = o.logger;
    this.clock = o.clock ?? systemClock;
    this.keys = offsetKeys(o.key);
    this.client = new Redis(o.url, {
      lazyConnect: true,
      // No offline queue: while Redis is away a publish must not wait for it (it falls back).
      enableOfflineQueue: false,
      // A command cut off by a lost connection fails at once and is never re-sent: a re-sent
      // allocation would put a range in flight that nobody tracks (and pin the watermark).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // A frozen Redis (no reply, no close) must not stall publishing either.
      commandTimeout: 2000,
    });
    this.client.on('error', () => undefined);
    // Every (re)connect, not only the first: Redis may have restarted empty meanwhile.
    this.client.on('ready', () => this.requestSync());
    this.client.on('close', () => this.goOffline());
    this.scripts = offsetScripts(this.client, this.keys);
    this.batches = new TickBatcher({
      fetch: (n) => (this.mode === 'online' && !this.closed ? this.allocate(n) : Promise.resolve(null)),
      assign: (n, fetched) => this.assign(n, fetched),
    });
    this.removals = new InflightRemovals({
      clock: this.clock,
      delayMs: o.removeDelayMs ?? 20,
      canSend: () => this.mode === 'online',
      send: (members) => this.client.zrem(this.keys.inflight, ...members),
      onFailure: () => this.goOffline(),
    });
    this.w = new WatermarkPoller({
      poll: () => this.scripts.poll(),
      online: () => this.mode === 'online',
      seen: () => this.seen,
      onCounter: (c) => (this.seen = Math.max(this.seen, c)),
      // Hold, and re-sync: that re-adds this node's ranges and sets the grace period for all.
      onLost: () => {
        this.mode = 'offline';
        this.requestSync();
      },
      // Redis may have lost this node's ranges without dropping its connection (a flush): re-adding
      // them is idempotent, so do it whenever a grace period begins.
      onHoldBegins: () => this.requestSync(),
      clock: this.clock,
      intervalMs: o.pollMs ?? 100,
    });
  }

  async start(logMax: number): Promise<void> {
    this.logMaxKnown = Math.max(this.logMaxKnown, logMax);
    this.last = Math.max(this.last, logMax);
    await this.client
      .connect()
      .catch((err) =>
        this.log.warn({ err: String(err) }, 'redis offsets: Redis not reachable at start; numbering on this node until it answers'),
      );
    if (this.client.status === 'ready' && this.mode === 'offline' && !this.syncing) this.requestSync();
    while (this.syncing) await this.syncing;
    await this.w.pollOnce();
    this.w.start();
  }

  next(): Promise<number> {
    if (this.closed) return Promise.reject(new HubError('STORE_UNAVAILABLE', 'event offsets: the hub is shutting down'));
    // Everything asked for in one turn of the event loop costs one script call.
    return this.batches.request();
  }

  current(): number {
    return Math.max(this.last, this.logMaxKnown);
  }

  settled(offsets: number[]): void {
    for (const offset of offsets) {
      const first = this.ranges.settle(offset);
      if (first !== null) this.removals.add(inflightMember(this.o.node, first));
    }
  }

  watermark(): number {
    return this.w.value;
  }

  /** The highest offset handed out by any node, read from Redis now (this node's view while it cannot). */
  async allocatedUpTo(): Promise<number> {
    if (this.mode === 'online') {
      try {
        this.seen = Math.max(this.seen, Number((await this.client.get(this.keys.counter)) ?? 0));
      } catch {
        // unreachable: what this node knows
      }
    }
    return Math.max(this.seen, this.last);
  }

  /** True while Redis numbers this node's events (false: offline, fallback range, or re-syncing). */
  get online(): boolean {
    return this.mode === 'online';
  }

  gaps(): number {
    return this.skipped;
  }

  /** A dead node's uncommitted events will never exist (its publishers republish under the same ids). */
  async releaseNode(node: string): Promise<number> {
    const n = await this.scripts.release(node);
    if (n > 0) this.log.info({ deadNode: node, ranges: n }, 'redis offsets: released the in-flight ranges of a dead node');
    return n;
  }

  /** Releases the ranges of every node not in `alive` (this one is always alive); -1 if skipped. */
  releaseAbsentNodes(alive: string[]): Promise<number> {
    return this.scripts.sweep([...alive, this.o.node]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.w.close();
    this.removals.close();
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    await this.batches.close(new HubError('STORE_UNAVAILABLE', 'event offsets: the hub is shutting down'));
    // A clean stop comes after the bus has flushed: nothing of this node can still be committed.
    if (this.client.status === 'ready') await this.scripts.release(this.o.node).catch(() => undefined);
    this.client.disconnect();
  }

  /** First offset of a range from Redis, or null to fall back. Never rejects. */
  private async allocate(n: number): Promise<number | null> {
    try {
      const last = await this.scripts.alloc(n, this.o.node);
      if (last === null) {
        this.log.warn({}, 'redis offsets: Redis has lost its data; re-syncing');
        if (this.mode === 'online') this.mode = 'offline';
        this.requestSync();
        return null;
      }
      this.seen = Math.max(this.seen, last);
      return last - n + 1;
    } catch {
      this.goOffline();
      return null;
    }
  }

  /** Called in request order; throws (HubError) when the fallback range is used up. */
  private assign(n: number, fromRedis: number | null): number {
    let first = fromRedis;
    if (first !== null && first <= this.last) {
      // Answered after an earlier batch fell back: these numbers would go backwards on this node.
      this.skipped += n;
      this.removals.add(inflightMember(this.o.node, first));
      first = null;
    }
    if (first === null) {
      if (!this.fallback.active)
        this.log.warn({ slot: this.fallbackSlot() }, "redis offsets: Redis unavailable; numbering from this node's fallback range");
      first = this.fallback.take(n, Math.max(this.seen, this.last), this.fallbackSlot());
    }
    this.ranges.add(first, n);
    this.last = first + n - 1;
    return first;
  }

  private fallbackSlot(): number {
    // Redis never answered, so it handed out no slot: derive one from the node id.
    return this.slot ?? hashSlot(this.o.node);
  }

  private goOffline(): void {
    if (this.mode === 'online') this.mode = 'offline';
    // Connected but failing (a script error, a timeout): take the numbering back shortly. A lost
    // connection is retried by its 'ready' event instead.
    if (!this.closed && this.client.status === 'ready' && !this.resyncTimer) {
      this.resyncTimer = this.clock.setTimeout(() => {
        this.resyncTimer = undefined;
        this.requestSync();
      }, RESYNC_DELAY_MS);
    }
  }

  private requestSync(): void {
    if (this.closed) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = this.sync().finally(() => {
      this.syncing = null;
      if (!this.syncAgain) return;
      this.syncAgain = false;
      this.requestSync();
    });
  }

  /**
   * Takes the numbering back from Redis: raises the counter to at least max(log max, highest
   * offset this node handed out — fallback ones included, highest counter it saw), and makes
   * this node's in-flight entries exactly its unsettled ranges, in one script. A counter below
   * what this node saw (or a missing epoch) means Redis lost its data: the script then adds the
   * margin and sets the hold, so every node keeps its watermark until the others have re-added.
   */
  private async sync(): Promise<void> {
    const logMax = await this.readLogMax();
    if (this.closed || this.client.status !== 'ready') return;
    this.mode = 'syncing';
    // Every range already asked of Redis is tracked (or fell back) before the snapshot; batches
    // asked for from now on wait for the script, which must run before Redis numbers anything more.
    await this.batches.pause();
    // The script replaces all of this node's entries, so the removals queued so far are done by it.
    this.removals.clear();
    const target = Math.max(logMax, this.last, this.seen);
    try {
      const r = await this.scripts.sync({
        node: this.o.node,
        target,
        seen: this.seen,
        margin: this.o.resetMargin ?? 1_000_000,
        holdMs: this.o.resetHoldMs,
        wantSlot: this.slot === null,
        ranges: this.ranges.firsts(),
      });
      if (r.slot !== null) this.slot = r.slot;
      const outage = this.fallback.end();
      if (r.reset) this.skipped += Math.max(0, r.after - Math.max(r.before, target));
      else if (outage.first !== null) this.skipped += Math.max(0, outage.first - 1 - r.before);
      this.seen = Math.max(this.seen, r.after);
      this.mode = 'online';
      if (r.reset)
        this.log.warn(
          { before: r.before, after: r.after, holdMs: this.o.resetHoldMs },
          'redis offsets: Redis lost its data; counter raised above everything known, with a margin; watermark held meanwhile',
        );
      if (outage.used > 0)
        this.log.info({ fallbackUsed: outage.used, counter: r.after }, 'redis offsets: Redis is back; numbering from it again');
    } catch (err) {
      this.mode = 'offline';
      this.log.warn({ err: String(err) }, 'redis offsets: re-sync with Redis failed; numbering on this node meanwhile');
      this.goOffline();
    } finally {
      this.batches.resume();
      this.removals.schedule();
    }
  }

  private async readLogMax(): Promise<number> {
    let timer: TimerHandle | undefined;
    try {
      const timeout = new Promise<never>(
        (_, reject) => (timer = this.clock.setTimeout(() => reject(new Error('timed out')), LOG_MAX_TIMEOUT_MS)),
      );
      this.logMaxKnown = Math.max(this.logMaxKnown, await Promise.race([this.o.logMax(), timeout]));
    } catch (err) {
      // The last known value still bounds everything this node has seen committed.
      this.log.warn({ err: String(err) }, 'redis offsets: could not read the log max offset; using the last known one');
    } finally {
      if (timer) this.clock.clearTimeout(timer);
    }
    return this.logMaxKnown;
  }
}
