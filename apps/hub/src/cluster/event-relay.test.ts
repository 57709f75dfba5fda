import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '@agent-hub/core';
import type { HubEvent } from '@agent-hub/protocol';
import { deleteKeysWithPrefix } from '@agent-hub/store';
import { EventRelay, type EventRelayOptions } from './event-relay.ts';
import { redisUrlOrSkip } from '../../test/support/redis-or-skip.ts';
import { eventually } from '../../test/support/test-hub.ts';

const redisUrl = await redisUrlOrSkip('EventRelay against a real Redis');
const prefixRoot = `relay-test:${randomBytes(4).toString('hex')}:`;
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefixRoot);
});

const suite = redisUrl ? describe : describe.skip;

const event = (offset: number, payload: unknown = offset): HubEvent => ({
  id: `id-${offset}`,
  offset,
  topic: 'relay:x',
  priority: 'normal',
  ts: new Date(0).toISOString(),
  publisher: 'p',
  payload,
});

/** A node's relay on its own pair of connections; what it receives from other nodes is collected in `got` (one array per message). */
async function node(prefix: string, id: string, extra: Partial<EventRelayOptions> = {}) {
  const pub = new Redis(redisUrl!);
  const sub = pub.duplicate();
  const relay = new EventRelay({
    pub,
    sub,
    channel: `${prefix}events`,
    nodesKey: `${prefix}nodes`,
    relayKey: `${prefix}relay-nodes`,
    node: id,
    log: silentLogger,
    checkMs: 50,
    ...extra,
  });
  const got: HubEvent[][] = [];
  await pub.sadd(`${prefix}nodes`, id);
  await relay.start((events) => void got.push(events));
  // Subscribed, recorded as relaying, and every node registered so far relays too.
  await eventually(() => relay.batching, 2000, `${id} batching`);
  closers.push(async () => {
    relay.close();
    await pub.ping();
    pub.disconnect();
    sub.disconnect();
  });
  return { relay, got, pub };
}

/** A raw subscriber to the relay's channel: every message, this node's own included. */
async function tap(prefix: string) {
  const r = new Redis(redisUrl!);
  const messages: string[] = [];
  r.on('message', (_ch: string, m: string) => void messages.push(m));
  await r.subscribe(`${prefix}events`);
  closers.push(async () => r.disconnect());
  return messages;
}

suite('EventRelay on one Redis', () => {
  it("sends a turn's events as one message, in order, to the other nodes and not back to the sender", async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'node-1');
    // node-10 starts with node-1's id: its prefix check must not take node-1's messages for its own.
    const b = await node(prefix, 'node-10');
    const messages = await tap(prefix);
    await eventually(() => a.relay.batching, 2000, 'node-1 batching again once node-10 relays');
    for (let i = 1; i <= 40; i++) a.relay.send(event(i, { n: i, text: 'ünïcode ✓' }));
    await eventually(() => b.got.flat().length === 40, 2000, 'the batch at node-10');
    expect(b.got).toHaveLength(1);
    expect(b.got[0]!.map((e) => e.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(b.got[0]![0]!.payload).toEqual({ n: 1, text: 'ünïcode ✓' });
    expect(messages).toHaveLength(1);
    b.relay.send(event(41));
    await eventually(() => a.got.length === 1, 2000, 'the event at node-1');
    // Neither sender heard its own batch.
    expect(a.got.flat().map((e) => e.offset)).toEqual([41]);
    expect(b.got.flat()).toHaveLength(40);
  });

  it('splits a turn beyond maxBatch into several messages, still in order', async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'a', { maxBatch: 10 });
    const b = await node(prefix, 'b');
    for (let i = 1; i <= 25; i++) a.relay.send(event(i));
    await eventually(() => b.got.flat().length === 25, 2000, 'all 25 at b');
    expect(b.got.map((m) => m.length)).toEqual([10, 10, 5]);
    expect(b.got.flat().map((e) => e.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('stops batching while a live node does not listen to the relay, and batches again once it is gone', async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'a');
    await node(prefix, 'b');
    await eventually(() => a.relay.batching, 2000, 'batching with two listening nodes');
    // A node of an earlier version: registered, but not subscribed to the relay.
    await a.pub.sadd(`${prefix}nodes`, 'old');
    await eventually(() => !a.relay.batching, 2000, 'adapter broadcasts while the old node is in');
    await a.pub.srem(`${prefix}nodes`, 'old');
    await eventually(() => a.relay.batching, 2000, 'batching again');
  });

  it('takes a node whose stamp went stale for one that does not relay, and drops stamps long gone', async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'a', { staleMs: 300 });
    // A node that relayed once and stopped stamping (stopped checking, or stuck), still registered.
    await a.pub.sadd(`${prefix}nodes`, 'stuck');
    await a.pub.hset(`${prefix}relay-nodes`, 'stuck', String(Date.now()));
    await a.pub.hset(`${prefix}relay-nodes`, 'long-gone', '0');
    await a.relay.check();
    await eventually(async () => !(await a.pub.hexists(`${prefix}relay-nodes`, 'long-gone')), 2000, 'the old stamp dropped');
    await eventually(() => !a.relay.batching, 2000, 'the stale stamp seen as a node that does not relay');
    expect(await a.pub.hexists(`${prefix}relay-nodes`, 'stuck')).toBe(1);
  });

  it('sends what it holds when flushed or closed, before the turn ends', async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    const messages = await tap(prefix);
    a.relay.send(event(1));
    a.relay.flush();
    a.relay.send(event(2));
    a.relay.close();
    await eventually(() => b.got.flat().length === 2 && messages.length === 2, 2000, 'both events at b, in two messages');
    // Two messages: the flush cut the turn in two, and close sent the rest.
    expect(b.got).toHaveLength(2);
    expect(b.got.flat().map((e) => e.offset)).toEqual([1, 2]);
  });

  it('ignores a malformed message and keeps relaying', async () => {
    const prefix = `${prefixRoot}${randomBytes(3).toString('hex')}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    await a.pub.publish(`${prefix}events`, 'x\n{not json');
    await a.pub.publish(`${prefix}events`, 'no newline at all');
    a.relay.send(event(7));
    await eventually(() => b.got.length === 1, 2000, 'the good message at b');
    expect(b.got[0]!.map((e) => e.offset)).toEqual([7]);
  });
});
