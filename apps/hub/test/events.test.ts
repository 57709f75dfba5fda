import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '@agent-hub/protocol';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(() => t.close());

const collect = () => {
  const got: HubEvent[] = [];
  return { got, handler: (e: HubEvent) => void got.push(e) };
};

describe('publish/subscribe', () => {
  it('routes by exact topic, "*" (one segment) and "#" (any depth)', async () => {
    const pub = await t.agent('pub-1');
    const exact = await t.agent('sub-exact');
    const star = await t.agent('sub-star');
    const hash = await t.agent('sub-hash');
    const [e, s, h] = [collect(), collect(), collect()];
    await exact.subscribe(['route:a'], e.handler);
    await star.subscribe(['route:*'], s.handler);
    await hash.subscribe(['route:#'], h.handler);
    await pub.publish('route:a', 1);
    await pub.publish('route:a:deep', 2);
    await pub.publish('other:a', 3);
    await eventually(() => h.got.length === 2, 3000, 'hash subscriber');
    await Promise.all([exact.idle(), star.idle()]);
    expect(e.got.map((x) => x.payload)).toEqual([1]);
    expect(s.got.map((x) => x.payload)).toEqual([1]);
    expect(h.got.map((x) => x.payload)).toEqual([1, 2]);
  });

  it('delivers an event once to a subscriber whose patterns overlap', async () => {
    const pub = await t.agent('pub-2');
    const sub = await t.agent('sub-overlap');
    const c = collect();
    await sub.subscribe(['overlap:x', 'overlap:*', 'overlap:#'], c.handler);
    await pub.publish('overlap:x', 'once');
    await eventually(() => c.got.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.got).toHaveLength(1);
  });

  it('acks the publisher with a durable offset, in increasing order', async () => {
    const pub = await t.agent('pub-3');
    const a = await pub.publish('order:x', 1);
    const b = await pub.publish('order:x', 2);
    expect(a.durable && b.durable).toBe(true);
    expect(b.offset).toBeGreaterThan(a.offset);
  });

  it('counts its group commits and the events they carried on /metrics', async () => {
    const read = async () => {
      const text = await (await t.api('/metrics')).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      return { commits: value('agenthub_event_log_commit_seconds_count'), events: value('agenthub_event_log_committed_total') };
    };
    const before = await read();
    const pub = await t.agent('pub-commits');
    await Promise.all([1, 2, 3, 4, 5].map((n) => pub.publish('commits:x', n)));
    const after = await read();
    // Every publish was acked durable, so each is in a commit; health events may have joined them.
    expect(after.events - before.events).toBeGreaterThanOrEqual(5);
    expect(after.commits - before.commits).toBeGreaterThanOrEqual(1);
    expect(after.commits - before.commits).toBeLessThanOrEqual(after.events - before.events);
  });

  it('does not deliver a duplicate publish of the same id', async () => {
    const pub = await t.agent('pub-4');
    const sub = await t.agent('sub-dup');
    const c = collect();
    await sub.subscribe(['dup:#'], c.handler);
    const first = await pub.publish('dup:x', 'a', { id: 'evt-dup-1' });
    const again = await pub.publish('dup:x', 'a', { id: 'evt-dup-1' });
    expect(again).toMatchObject({ id: 'evt-dup-1', offset: first.offset, duplicate: true });
    await eventually(() => c.got.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.got).toHaveLength(1);
  });

  it('publishes over HTTP for servers that are not agents', async () => {
    const sub = await t.agent('sub-http');
    const c = collect();
    await sub.subscribe(['http:*'], c.handler);
    const res = await t.api('/api/events', {
      method: 'POST',
      body: JSON.stringify({ topic: 'http:in', priority: 'high', payload: { x: 1 } }),
    });
    expect(res.status).toBe(201);
    await eventually(() => c.got.length === 1);
    expect(c.got[0]).toMatchObject({ topic: 'http:in', priority: 'high', publisher: 'operator', payload: { x: 1 } });
  });

  it('gives events time-ordered ids (UUID v7): the SDK for its publishes, the hub for one sent without', async () => {
    const msOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const pub = await t.agent('pub-ids');
    const before = Date.now();
    const viaSdk = await pub.publish('ids:sdk', 1);
    const res = await t.api('/api/events', { method: 'POST', body: JSON.stringify({ topic: 'ids:http', payload: 2 }) });
    const viaHub = ((await json(res)) as { id: string }).id;
    const after = Date.now();
    for (const id of [viaSdk.id, viaHub]) {
      expect(id).toMatch(V7);
      expect(msOf(id)).toBeGreaterThanOrEqual(before);
      expect(msOf(id)).toBeLessThanOrEqual(after);
    }
  });

  it('rejects bad topics with typed errors over HTTP and sockets', async () => {
    const res = await t.api('/api/events', { method: 'POST', body: JSON.stringify({ topic: 'a:*', payload: 1 }) });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('VALIDATION_FAILED');
    const a = await t.agent('bad-topic');
    const err: any = await a.subscribe(['a:*:b'], () => undefined).catch((e) => e);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain('last segment');
  });
});

describe('at-least-once with dedupe', () => {
  it('retries a failing handler and dead-letters it after the last attempt', async () => {
    const pub = await t.agent('pub-dl');
    const sub = await t.agent('sub-dl', { handlerAttempts: 3, handlerBackoffMs: 5 });
    sub.on('error', () => undefined);
    let calls = 0;
    await sub.subscribe(['dl:*'], () => {
      calls++;
      throw new Error('boom');
    });
    const p = await pub.publish('dl:x', 1);
    await eventually(async () => (await json(await t.api('/api/deadletters'))).items.some((d: any) => d.eventId === p.id));
    expect(calls).toBe(3);
  });

  it('runs a handler that succeeds on retry exactly once per success', async () => {
    const pub = await t.agent('pub-retry');
    const sub = await t.agent('sub-retry', { handlerBackoffMs: 5 });
    let calls = 0;
    const ok: string[] = [];
    await sub.subscribe(['retry:*'], (e) => {
      if (++calls === 1) throw new Error('transient');
      ok.push(e.id);
    });
    await pub.publish('retry:x', 1);
    await eventually(() => ok.length === 1);
    await sub.idle();
    expect(calls).toBe(2);
  });
});

describe('replay', () => {
  it('replays missed events per policy on resubscribe: full, critical-only, none', async () => {
    const pub = await t.agent('pub-replay');
    const marker = await pub.publish('rp:start', 0);
    await pub.publish('rp:a', 'n1', { priority: 'normal' });
    await pub.publish('rp:a', 'c1', { priority: 'critical' });
    await pub.publish('rp:a', 'l1', { priority: 'low' });
    const full = collect();
    const crit = collect();
    const none = collect();
    const a = await t.agent('rp-full');
    const b = await t.agent('rp-crit');
    const c = await t.agent('rp-none');
    const ra = await a.subscribe(['rp:*'], full.handler, { policy: 'full', fromOffset: marker.offset });
    const rb = await b.subscribe(['rp:*'], crit.handler, { policy: 'critical-only', fromOffset: marker.offset });
    const rc = await c.subscribe(['rp:*'], none.handler, { policy: 'none', fromOffset: marker.offset });
    await Promise.all([a.idle(), b.idle(), c.idle()]);
    expect(ra.replayed).toBe(3);
    expect(full.got.map((e) => e.payload)).toEqual(['n1', 'c1', 'l1']);
    expect(rb.replayed).toBe(1);
    expect(crit.got.map((e) => e.payload)).toEqual(['c1']);
    expect(rc.replayed).toBe(0);
    expect(none.got).toEqual([]);
  });

  it('queries the log by topic pattern, time range, priority and limit', async () => {
    const pub = await t.agent('pub-query');
    const before = new Date().toISOString();
    const first = await pub.publish('q:one', 1, { priority: 'low' });
    await pub.publish('q:two', 2, { priority: 'critical' });
    await pub.publish('q:one:sub', 3, { priority: 'high' });
    const q = async (qs: string) => (await json(await t.api(`/api/events?${qs}`))).items.map((e: any) => e.payload);
    expect(await q(`patterns=q:*&afterOffset=${first.offset - 1}`)).toEqual([1, 2]);
    expect(await q(`patterns=q:%23&afterOffset=${first.offset - 1}`)).toEqual([1, 2, 3]);
    expect(await q(`patterns=q:%23&minPriority=high&afterOffset=${first.offset - 1}`)).toEqual([2, 3]);
    expect(await q(`patterns=q:%23&from=${encodeURIComponent(before)}&limit=2`)).toEqual([1, 2]);
    expect(await q(`patterns=q:%23&to=${encodeURIComponent(before)}`)).toEqual([]);
  });

  it('resumes after a disconnect from the last processed offset with nothing missed', async () => {
    const pub = await t.agent('pub-resume');
    const c = collect();
    const sub = await t.agent('sub-resume');
    await sub.subscribe(['resume:*'], c.handler, { policy: 'full' });
    await pub.publish('resume:x', 1);
    await eventually(() => c.got.length === 1);
    await sub.idle();
    sub.socket.disconnect();
    await pub.publish('resume:x', 2);
    await pub.publish('resume:x', 3);
    sub.socket.connect();
    await eventually(() => c.got.length === 3, 5000, 'replay after reconnect');
    expect(c.got.map((e) => e.payload)).toEqual([1, 2, 3]);
  });

  it('replays a log of several pages in order, each event once, and counts it in the ack', async () => {
    // The hub replays 2,000 events a page and reads the next page while it sends one: 4,500
    // events are two full pages and a part; from the 500th on, exactly two full pages.
    const pub = await t.agent('pub-pages');
    const published: number[] = [];
    for (let i = 0; i < 4500; i += 500) {
      const chunk = Array.from({ length: 500 }, (_, k) => pub.publish(k % 2 ? 'pages:a' : 'pages:b', i + k));
      // Events of another topic between them: a page is counted in matching events, not offsets.
      chunk.push(pub.publish('pages-other:x', -1));
      const acks = await Promise.all(chunk);
      published.push(...acks.slice(0, 500).map((a) => a.offset));
    }
    for (const [from, expected] of [
      [published[0]! - 1, 4500],
      [published[499]!, 4000],
    ] as const) {
      const c = collect();
      const sub = await t.agent(`sub-pages-${expected}`);
      const ack = await sub.subscribe(['pages:*'], c.handler, { policy: 'full', fromOffset: from });
      expect(ack.replayed).toBe(expected);
      await eventually(() => c.got.length >= expected, 10_000, `${expected} replayed events handled`);
      await sub.idle();
      expect(c.got.map((e) => e.offset)).toEqual(published.slice(4500 - expected));
      expect(c.got.map((e) => e.payload)).toEqual(Array.from({ length: expected }, (_, i) => 4500 - expected + i));
    }
  });

  it('brings a cut subscriber back over several replay pages, the same client handling each event once', async () => {
    const pub = await t.agent('pub-away');
    const c = collect();
    const sub = await t.agent('sub-away');
    await sub.subscribe(['away:*'], c.handler, { policy: 'full' });
    await pub.publish('away:x', -1);
    await eventually(() => c.got.length === 1);
    await sub.idle();
    sub.socket.disconnect();
    // Missed while away: more than two replay pages of 2,000.
    for (let i = 0; i < 4500; i += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => pub.publish('away:x', i + k)));
    const resumed = new Promise((r) => sub.once('resumed', r));
    sub.socket.connect();
    await resumed;
    await eventually(() => c.got.length >= 4501, 10_000, 'the missed events handled');
    await sub.idle();
    expect(c.got.map((e) => e.payload)).toEqual([-1, ...Array.from({ length: 4500 }, (_, i) => i)]);
  });

  it('gives a subscriber that had processed nothing yet what was published while it was away', async () => {
    const pub = await t.agent('pub-first');
    const c = collect();
    const sub = await t.agent('sub-first');
    await sub.subscribe(['first:*'], c.handler, { policy: 'full' });
    // Cut before any event reached it: there is no processed offset to resume from.
    sub.socket.disconnect();
    await pub.publish('first:x', 1);
    await pub.publish('first:x', 2);
    const resumed = new Promise((r) => sub.once('resumed', r));
    sub.socket.connect();
    await resumed;
    await eventually(() => c.got.length === 2, 5000, 'replay after the first reconnect');
    expect(c.got.map((e) => e.payload)).toEqual([1, 2]);
  });
});

describe('catch-up health', () => {
  it('marks an agent degraded when more than half of its replay fails, and clears it after a good one', async () => {
    const pub = await t.agent('pub-degrade');
    const sub = await t.agent('sub-degrade', { handlerAttempts: 1 });
    sub.on('error', () => undefined);
    let failing = false;
    await sub.subscribe(
      ['degrade:*'],
      () => {
        if (failing) throw new Error('cannot handle');
      },
      { policy: 'full' },
    );
    await pub.publish('degrade:x', 0);
    await sub.idle();
    sub.socket.disconnect();
    for (let i = 1; i <= 4; i++) await pub.publish('degrade:x', i);
    failing = true;
    const report = new Promise<{ replayed: number; failed: number }>((resolve) => sub.once('replayed', resolve));
    sub.socket.connect();
    expect(await report).toEqual({ replayed: 4, failed: 4 });
    const agent = await json(await t.api('/api/agents/sub-degrade'));
    expect(agent.degraded).toBe('4 of 4 replayed events failed');

    failing = false;
    sub.socket.disconnect();
    await pub.publish('degrade:x', 5);
    const good = new Promise((resolve) => sub.once('replayed', resolve));
    sub.socket.connect();
    expect(await good).toEqual({ replayed: 1, failed: 0 });
    expect((await json(await t.api('/api/agents/sub-degrade'))).degraded).toBeNull();
  });
});

describe('publishing across a reconnect', () => {
  it('holds calls made while disconnected until the agent has registered again', async () => {
    const pub = await t.agent('pub-gap');
    const sub = await t.agent('sub-gap');
    const got: unknown[] = [];
    await sub.subscribe(['gap:*'], (e) => void got.push(e.payload));
    pub.socket.disconnect();
    const pending = [pub.publish('gap:x', 1), pub.publish('gap:x', 2)];
    pub.socket.connect();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.durable)).toBe(true);
    await eventually(() => got.length === 2);
    expect(got).toEqual([1, 2]);
  });

  it('tries a failed re-subscription again instead of staying connected with no subscription', async () => {
    const pub = await t.agent('pub-retry-sub');
    const sub = await t.agent('sub-retry-sub', { reconnectDelayMs: 100 });
    sub.on('error', () => undefined);
    const got: unknown[] = [];
    await sub.subscribe(['resub:*'], (e) => void got.push(e.payload), { policy: 'full' });
    // The first re-subscription after the reconnect gets no answer in time (a hub too busy).
    const real = sub.socket.timeout.bind(sub.socket);
    let failNext = true;
    sub.socket.timeout = ((ms: number) => {
      const timed = real(ms);
      const emitWithAck = timed.emitWithAck.bind(timed);
      timed.emitWithAck = ((ev: string, ...args: unknown[]) => {
        if (ev === 'event:subscribe' && failNext) {
          failNext = false;
          return Promise.reject(new Error('operation has timed out'));
        }
        return emitWithAck(ev, ...(args as []));
      }) as typeof timed.emitWithAck;
      return timed;
    }) as typeof sub.socket.timeout;
    const resumed = new Promise((r) => sub.once('resumed', r));
    sub.socket.disconnect();
    sub.socket.connect();
    await resumed;
    expect(failNext).toBe(false);
    await pub.publish('resub:x', 'after');
    await eventually(() => got.includes('after'), 5000, 'event after the retried re-subscription');
  });
});

describe('replay with per-topic policies (REPLAY_POLICY_FILE)', () => {
  let hub: TestHub;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'agent-hub-policies-'));
    const file = path.join(dir, 'policies.yaml');
    await writeFile(
      file,
      'default: none\ntopics:\n  - { pattern: "mixfull:*", policy: full }\n  - { pattern: "mixcrit:*", policy: critical-only }\n',
    );
    hub = await startTestHub({ REPLAY_POLICY_FILE: file });
  });
  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('merges the patterns of one subscribe by their own policies, in offset order', async () => {
    const pub = await hub.agent('pub-mix');
    const marker = await pub.publish('mixother:x', 0);
    const sent: Array<[string, 'normal' | 'critical']> = [
      ['mixfull:a', 'normal'],
      ['mixcrit:a', 'normal'],
      ['mixcrit:a', 'critical'],
      ['mixfull:a', 'critical'],
      ['mixnone:a', 'critical'],
      ['mixcrit:a', 'critical'],
      ['mixfull:a', 'normal'],
    ];
    for (const [i, [topic, priority]] of sent.entries()) await pub.publish(topic, i, { priority });
    const c = collect();
    const sub = await hub.agent('sub-mix');
    // No policy named: each pattern takes the file's (full, critical-only, and the default none).
    const ack = await sub.subscribe(['mixfull:*', 'mixcrit:*', 'mixnone:*'], c.handler, { fromOffset: marker.offset });
    await sub.idle();
    expect(c.got.map((e) => e.payload)).toEqual([0, 2, 3, 5, 6]);
    expect(ack.replayed).toBe(5);
    const offsets = c.got.map((e) => e.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });
});
