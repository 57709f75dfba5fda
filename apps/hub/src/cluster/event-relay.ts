import type { Redis } from 'ioredis';
import type { HubEvent } from '@agent-hub/protocol';
import type { Logger } from '@agent-hub/core';

export interface EventRelayOptions {
  /** The Socket.IO adapter's clients: the same connections keep this node's broadcasts in order. */
  pub: Redis;
  sub: Redis;
  /** The relay's pub/sub channel (`<REDIS_PREFIX>events`). */
  channel: string;
  /** The cluster's set of live nodes (the node registry's `<REDIS_PREFIX>nodes`). */
  nodesKey: string;
  /** The hash where each relaying node records when it last said so (`<REDIS_PREFIX>relay-nodes`). */
  relayKey: string;
  node: string;
  log: Logger;
  /** How often to check that every live node relays (ms). */
  checkMs?: number;
  /** A node's relay entry older than this does not count (ms). */
  staleMs?: number;
  /** Events in one message at most (a tick's events go in several beyond it). */
  maxBatch?: number;
}

const CHECK_MS = 1000;
const SUBSCRIBE_WAIT_MS = 2000;
const STALE_MS = 10_000;

/**
 * KEYS: the registry's node set, the relay hash; ARGV: this node, the staleness limit (ms).
 * Stamps this node with Redis's time, returns the number of registered nodes and those without a
 * fresh stamp, and drops stamps ten limits old (node ids change with every restart by default).
 */
const CHECK_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stale = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], now)
local nodes = redis.call('SMEMBERS', KEYS[1])
local silent = {}
for _, n in ipairs(nodes) do
  local at = tonumber(redis.call('HGET', KEYS[2], n) or '0')
  if now - at >= stale then table.insert(silent, n) end
end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if now - tonumber(all[i + 1]) > stale * 10 then redis.call('HDEL', KEYS[2], all[i]) end
end
return {#nodes, silent}`;
const MAX_BATCH = 256;

/**
 * Carries published events to the other hub nodes: the events of one event-loop turn leave as
 * one Redis message, where a broadcast through the Socket.IO adapter costs a MessagePack encoding
 * and a PUBLISH per event (and each node decodes its own broadcasts again).
 *
 * A node of an earlier version does not listen to the channel. The relay batches only while every
 * live node says it relays (`check`); otherwise the caller broadcasts through the adapter, as
 * before (`batching` false), which every node understands. Both go out on the
 * adapter's publishing connection and arrive on its subscribing one, so one node's events keep
 * their order across a switch (`flush` before an adapter broadcast).
 *
 * Ordering against the committed watermark: events are sent at the end of the turn that
 * delivered them locally, before their batch can commit, so (as with the adapter) they reach
 * Redis before their offsets leave the in-flight set.
 */
export class EventRelay {
  private pending: HubEvent[] = [];
  private scheduled = false;
  private everyoneRelays = false;
  private subscribed = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly prefix: Buffer;
  private readonly channelBuf: Buffer;
  private handler: ((events: HubEvent[]) => void) | null = null;
  private readonly listener = (channel: Buffer, message: Buffer) => this.received(channel, message);

  constructor(private readonly o: EventRelayOptions) {
    this.prefix = Buffer.from(`${o.node}\n`);
    this.channelBuf = Buffer.from(o.channel);
  }

  /**
   * Subscribes and starts checking who relays; `onEvents` gets each batch another node sent, in
   * its order. Resolves once subscribed, so this node's subscribers (who connect after start)
   * miss no batch, or after `SUBSCRIBE_WAIT_MS` if Redis is slow to answer: the subscription goes
   * out when it does, and this node says it relays only once it is subscribed.
   */
  async start(onEvents: (events: HubEvent[]) => void): Promise<void> {
    this.handler = onEvents;
    this.o.sub.on('messageBuffer', this.listener);
    const subscribed = this.o.sub.subscribe(this.o.channel).then(
      () => {
        this.subscribed = true;
        void this.check();
      },
      (err) => this.o.log.warn({ err: String(err) }, 'event relay: could not subscribe; events cross nodes through the adapter'),
    );
    this.timer = setInterval(() => void this.check(), this.o.checkMs ?? CHECK_MS);
    this.timer.unref();
    let waited: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([subscribed, new Promise((r) => (waited = setTimeout(r, SUBSCRIBE_WAIT_MS)))]);
    clearTimeout(waited);
  }

  /** True: send events with `send`; false: broadcast them through the adapter (after `flush`). */
  get batching(): boolean {
    return this.everyoneRelays;
  }

  /** Queues an event for the other nodes; the turn's events leave together. */
  send(event: HubEvent): void {
    this.pending.push(event);
    if (this.pending.length >= (this.o.maxBatch ?? MAX_BATCH)) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Sends what is queued now. */
  flush(): void {
    if (!this.pending.length) return;
    const events = this.pending;
    this.pending = [];
    // The publishing connection queues while Redis is away; what is lost meanwhile is resent
    // from the log when it returns (the events module's resync).
    this.o.pub.publish(this.o.channel, `${this.o.node}\n${JSON.stringify(events)}`).catch(() => undefined);
  }

  /** Sends what it holds and stops; never waits for a Redis that is away (the connections close next). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.o.sub.off('messageBuffer', this.listener);
    // Not needed for correctness (a node that left the registry's set is not waited for), but it
    // keeps the hash small.
    if (this.o.pub.status === 'ready') this.o.pub.hdel(this.o.relayKey, this.o.node).catch(() => undefined);
  }

  /**
   * Batches only while every live node relays: each relaying node records itself in the relay's
   * hash at every check, and a node of the registry's set without a fresh entry there (a node of
   * an earlier version) makes this one broadcast through the adapter. Redis's clock stamps and
   * judges the entries, so clock skew between nodes does not matter.
   */
  async check(): Promise<void> {
    if (!this.subscribed) return;
    try {
      const reply = (await this.o.pub.eval(CHECK_SCRIPT, 2, this.o.nodesKey, this.o.relayKey, this.o.node, this.o.staleMs ?? STALE_MS)) as [
        number,
        string[],
      ];
      const [nodes, silent] = reply;
      const all = silent.length === 0;
      if (all !== this.everyoneRelays) {
        if (all) this.o.log.info({ nodes }, 'event relay: every node relays; events cross nodes in batches');
        else
          this.o.log.info(
            { nodes: silent },
            'event relay: a registered node does not relay (one of an earlier version, stopping, or dead); events cross nodes through the adapter',
          );
      }
      this.everyoneRelays = all;
    } catch {
      // Redis away: keep the last answer; nothing crosses nodes meanwhile either way.
    }
  }

  private received(channel: Buffer, message: Buffer): void {
    if (!channel.equals(this.channelBuf)) return;
    // This node's own batches come back too: recognised by their prefix before any decoding.
    if (message.length >= this.prefix.length && message.compare(this.prefix, 0, this.prefix.length, 0, this.prefix.length) === 0) return;
    const nl = message.indexOf(10);
    if (nl < 0) return;
    let events: HubEvent[];
    try {
      events = JSON.parse(message.toString('utf8', nl + 1)) as HubEvent[];
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'event relay: malformed message ignored');
      return;
    }
    this.handler?.(events);
  }
}
