import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { AGENTS_NAMESPACE, LIMITS, type Ack, type HubEvent, type PublishResult } from '@agent-hub/protocol';
import { eventually, startTestHub, type TestHub } from './support/test-hub.ts';

/**
 * `event:publish-batch` and live bursts as `events` (protocol 3), seen by plain socket.io-client
 * sockets written from docs/protocol.md: what arrives, in which messages, and in which order.
 */
let t: TestHub;
const sockets: Socket[] = [];
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await t.close();
});

type Message = { kind: 'event' | 'events'; events: HubEvent[] };

/** A registered raw agent on `hub` (the suite's by default); `protocol` undefined sends none in the handshake. */
async function rawAgent(agentId: string, protocol?: number, hub: TestHub = t) {
  const socket = io(hub.url + AGENTS_NAMESPACE, {
    auth: { agentId, token: hub.agentToken(agentId), ...(protocol === undefined ? {} : { protocol }) },
    transports: ['websocket'],
    forceNew: true,
  });
  sockets.push(socket);
  const messages: Message[] = [];
  socket.on('event', (e: HubEvent) => void messages.push({ kind: 'event', events: [e] }));
  socket.on('events', (list: HubEvent[]) => void messages.push({ kind: 'events', events: list }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const call = async <T>(event: string, payload: unknown): Promise<Ack<T>> =>
    (await socket.timeout(5000).emitWithAck(event, payload)) as Ack<T>;
  expect((await call('agent:register', { name: agentId })).ok).toBe(true);
  const received = () => messages.flatMap((m) => m.events);
  /** Each message as `event` or `events:<n>`. */
  const kinds = () => messages.map((m) => (m.kind === 'event' ? 'event' : `events:${m.events.length}`));
  return { socket, call, messages, received, kinds };
}

type BatchAnswer = { results: Array<Ack<PublishResult>> };

describe('event:publish-batch', () => {
  it('numbers the events in order and answers each on its own', async () => {
    const pub = await rawAgent('batch-pub', 3);
    const ack = await pub.call<BatchAnswer>('event:publish-batch', {
      events: [
        { id: 'b-1', topic: 'batch:a', payload: 1 },
        { topic: 'not a topic!', payload: 2 },
        { id: 'b-3', topic: '$hub:agent:x', payload: 3 },
        { id: 'b-4', topic: 'batch:a', priority: 'critical', payload: 4 },
        { id: 'b-1', topic: 'batch:a', payload: 'again' },
      ],
    });
    expect(ack.ok).toBe(true);
    const results = (ack as { data: BatchAnswer }).data.results;
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'VALIDATION_FAILED', 'FORBIDDEN', 'ok', 'ok']);
    const [first, , , fourth, again] = results.map((r) => (r.ok ? r.data : null));
    expect(first).toMatchObject({ id: 'b-1', durable: true, duplicate: false });
    expect(fourth).toMatchObject({ id: 'b-4', durable: true, duplicate: false, offset: first!.offset + 1 });
    // The same id again in one batch: a duplicate with the original offset, not a second event.
    expect(again).toMatchObject({ id: 'b-1', offset: first!.offset, duplicate: true });
    const logged = (await (await t.api('/api/events?patterns=batch:a&limit=10')).json()) as { items: HubEvent[] };
    expect(logged.items.map((e) => [e.id, e.payload, e.priority])).toEqual([
      ['b-1', 1, 'normal'],
      ['b-4', 4, 'critical'],
    ]);
  });

  it('refuses a malformed batch as a whole, with a typed code', async () => {
    const pub = await rawAgent('batch-bad', 3);
    const tooMany = Array.from({ length: LIMITS.publishBatchMax + 1 }, (_, i) => ({ topic: 'batch:many', payload: i }));
    for (const payload of [{ events: [] }, { events: 'x' }, {}, { events: tooMany }]) {
      const ack = await pub.call('event:publish-batch', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    const logged = (await (await t.api('/api/events?patterns=batch:many&limit=10')).json()) as { items: HubEvent[] };
    expect(logged.items).toEqual([]);
  });

  it('is refused before agent:register, like every other request', async () => {
    const socket = io(t.url + AGENTS_NAMESPACE, {
      auth: { agentId: 'batch-early', token: t.agentToken('batch-early'), protocol: 3 },
      transports: ['websocket'],
      forceNew: true,
    });
    sockets.push(socket);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const ack = (await socket
      .timeout(5000)
      .emitWithAck('event:publish-batch', { events: [{ topic: 'batch:early', payload: 1 }] })) as Ack<unknown>;
    expect(ack).toMatchObject({ ok: false, error: { code: 'AGENT_NOT_REGISTERED' } });
  });
});

describe('live bursts', () => {
  it('reach a protocol 3 subscriber as one events message, and older ones as one event each, in offset order', async () => {
    const v3 = await rawAgent('burst-v3', 3);
    const v2 = await rawAgent('burst-v2', 2);
    const none = await rawAgent('burst-none');
    for (const s of [v3, v2, none]) expect((await s.call('event:subscribe', { patterns: ['burst:#'] })).ok).toBe(true);
    const pub = await rawAgent('burst-pub', 3);
    const ack = await pub.call<BatchAnswer>('event:publish-batch', {
      events: Array.from({ length: 10 }, (_, i) => ({ topic: 'burst:a', payload: i })),
    });
    const offsets = (ack as { data: BatchAnswer }).data.results.map((r) => (r.ok ? r.data.offset : -1));
    await eventually(() => [v3, v2, none].every((s) => s.received().length === 10), 5000, 'the burst at every subscriber');
    for (const s of [v3, v2, none]) expect(s.received().map((e) => e.offset)).toEqual(offsets);
    expect(v3.messages.map((m) => m.kind)).toEqual(['events']);
    expect(v2.messages.map((m) => m.kind)).toEqual(Array(10).fill('event'));
    expect(none.messages.map((m) => m.kind)).toEqual(Array(10).fill('event'));
  });

  it('keeps offset order across topics: a burst is split where the topic changes', async () => {
    const sub = await rawAgent('mixed-sub', 3);
    const onlyB = await rawAgent('mixed-b', 3);
    expect((await sub.call('event:subscribe', { patterns: ['mixed:#'] })).ok).toBe(true);
    expect((await onlyB.call('event:subscribe', { patterns: ['mixed:b'] })).ok).toBe(true);
    const pub = await rawAgent('mixed-pub', 3);
    const topics = ['mixed:a', 'mixed:a', 'mixed:b', 'mixed:b', 'mixed:b', 'mixed:a'];
    await pub.call('event:publish-batch', { events: topics.map((topic, i) => ({ topic, payload: i })) });
    await eventually(() => sub.received().length === 6 && onlyB.received().length === 3, 5000, 'the mixed burst');
    expect(sub.received().map((e) => e.payload)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sub.messages.map((m) => m.events.length)).toEqual([2, 3, 1]);
    expect(onlyB.received().map((e) => e.payload)).toEqual([2, 3, 4]);
    expect(onlyB.messages.map((m) => m.kind)).toEqual(['events']);
  });

  it('turns publishes the SDK makes in one go into one batch and one events message', async () => {
    const sub = await rawAgent('sdk-burst-sub', 3);
    expect((await sub.call('event:subscribe', { patterns: ['sdkburst:#'] })).ok).toBe(true);
    const count = async () => {
      const text = await (await t.api('/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith('agenthub_socket_handler_duration_seconds_count{event="event:publish-batch"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await count();
    const pub = await t.agent('sdk-burst-pub');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pub.publish('sdkburst:x', { i })));
    expect(results.map((r) => r.offset)).toEqual(results.map((_, i) => results[0]!.offset + i));
    expect((await count()) - before).toBe(1);
    await eventually(() => sub.received().length === 20, 5000, 'the SDK burst');
    expect(sub.received().map((e) => (e.payload as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(sub.messages.map((m) => m.kind)).toEqual(['events']);
  });
});

describe('live bursts as older connections come and go', () => {
  it('splits a burst only while a connection of protocol 2 or older is on the node', async () => {
    const own = await startTestHub();
    const local: Socket[] = [];
    const agent = async (agentId: string, protocol?: number) => {
      const a = await rawAgent(agentId, protocol, own);
      local.push(a.socket);
      expect((await a.call('event:subscribe', { patterns: ['come:#'] })).ok).toBe(true);
      return a;
    };
    try {
      const v3 = await agent('come-v3', 3);
      const pub = await agent('come-pub', 3);
      const burst = async (n: number) => {
        const ack = await pub.call('event:publish-batch', {
          events: Array.from({ length: n }, (_, i) => ({ topic: 'come:x', payload: i })),
        });
        expect(ack.ok).toBe(true);
      };
      const older = await agent('come-v2', 2);
      await burst(3);
      await eventually(() => older.kinds().length === 3 && v3.kinds().length === 1, 5000, 'the first burst');
      expect(older.kinds()).toEqual(['event', 'event', 'event']);
      // The older connection leaves: the next burst goes to everyone as one message.
      older.socket.close();
      await eventually(async () => ((await (await own.api('/api/agents/come-v2')).json()) as { connected: boolean }).connected === false);
      await burst(4);
      await eventually(() => v3.kinds().length === 2, 5000, 'the second burst');
      // One without a version arrives: it gets one event per event again.
      const none = await agent('come-none');
      await burst(2);
      await eventually(() => none.kinds().length === 2 && v3.kinds().length === 3, 5000, 'the third burst');
      expect(none.kinds()).toEqual(['event', 'event']);
      expect(v3.kinds()).toEqual(['events:3', 'events:4', 'events:2']);
      // The publisher subscribed too: protocol 3, so it gets the bursts as well.
      expect(pub.kinds()).toEqual(['events:3', 'events:4', 'events:2']);
    } finally {
      local.forEach((s) => s.close());
      await own.close();
    }
  });
});

describe('requests sent back to back on one connection', () => {
  it('delivers a publish sent right behind a subscribe, before its ack, to that subscription live', async () => {
    const a = await rawAgent('order-sub', 3);
    // Both in one go: the agent does not wait for the subscribe's ack before it publishes.
    const subscribed = a.call<{ fromOffset: number }>('event:subscribe', { patterns: ['order:own'] });
    const published = a.call<PublishResult>('event:publish', { topic: 'order:own', payload: 'behind the subscribe' });
    const [sub, pub] = await Promise.all([subscribed, published]);
    expect(sub.ok && pub.ok).toBe(true);
    await eventually(() => a.received().length === 1, 3000, 'the event behind the subscribe');
    expect(a.received()[0]!.payload).toBe('behind the subscribe');
  });

  it('delivers nothing from a publish sent right behind an unsubscribe of several patterns', async () => {
    const a = await rawAgent('order-unsub', 3);
    const patterns = ['order:a', 'order:b', 'order:c'];
    expect((await a.call('event:subscribe', { patterns })).ok).toBe(true);
    const left = a.call('event:unsubscribe', { patterns });
    const published = a.call<PublishResult>('event:publish', { topic: 'order:c', payload: 'after leaving' });
    const [unsub, pub] = await Promise.all([left, published]);
    expect(unsub.ok && pub.ok).toBe(true);
    // A later event on a topic it still hears is the marker: everything before it has arrived.
    expect((await a.call('event:subscribe', { patterns: ['order:marker'] })).ok).toBe(true);
    expect((await a.call('event:publish', { topic: 'order:marker', payload: 'marker' })).ok).toBe(true);
    await eventually(() => a.received().some((e) => e.payload === 'marker'), 3000, 'the marker');
    expect(a.received().map((e) => e.payload)).toEqual(['marker']);
  });
});
