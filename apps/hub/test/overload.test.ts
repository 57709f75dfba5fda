import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvent, PublishResult } from '@agent-hub/protocol';
import { io } from 'socket.io-client';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';
import { eventually, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function metric(hub: TestHub, name: string): Promise<number> {
  const text = await (await hub.api('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('overload', () => {
  it('refuses publishes with RATE_LIMITED while the event loop runs late; the SDK waits and every publish lands once', async () => {
    // 50 ms: a single window past four times that (200 ms) closes the gate by itself; the rule for
    // shorter, repeated lateness is load-gate.test.ts's.
    t = await startTestHub({ OVERLOAD_LAG_MS: '50' });
    const pub = await t.agent('ov-pub');
    const idle = await t.agent('ov-idle');
    const results: Array<Promise<PublishResult>> = [];
    for (let i = 0; i < 50; i++) results.push(pub.publish('ov:x', i, { id: `ov-${i}` }));
    await Promise.all(results);
    // The hub's thread is stuck for 400 ms (as under a burst it cannot keep up with).
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* busy */
    }
    // The gate reads the lag on its next window (250 ms) and stays closed for two more. Publish as
    // soon as it has seen it: a fixed wait could outlast the closed windows on a loaded machine.
    await eventually(async () => (await metric(t!, 'agenthub_event_loop_lag_max_seconds')) > 0.2, 2000, 'gate saw the stall');
    const during: Array<Promise<PublishResult>> = [];
    for (let i = 50; i < 100; i++) during.push(pub.publish('ov:x', i, { id: `ov-${i}` }));
    const all = await Promise.all(during);
    expect(all.every((r) => r.durable)).toBe(true);
    expect(await metric(t, 'agenthub_event_publishes_refused_overload_total')).toBeGreaterThan(0);
    // Refused publishes were never taken: they come back as plain publishes, not re-sends.
    expect(await metric(t, 'agenthub_event_republished_total')).toBe(0);
    const logged = ((await (await t.api('/api/events?patterns=ov:x&limit=1000')).json()) as { items: Array<{ id: string }> }).items.map(
      (e) => e.id,
    );
    expect(logged).toHaveLength(100);
    expect(new Set(logged).size).toBe(100);
    expect(idle.connected && pub.connected).toBe(true);
  });

  it('refuses a whole batch while overloaded, counting each publish in it', async () => {
    // A 1 ms threshold: the loop's ordinary jitter keeps the gate closed, no stall to time.
    t = await startTestHub({ OVERLOAD_LAG_MS: '1' });
    const socket = io(t.url + AGENTS_NAMESPACE, {
      auth: { agentId: 'ov-batch', token: t.agentToken('ov-batch'), protocol: 3 },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      expect(((await socket.timeout(5000).emitWithAck('agent:register', { name: 'ov-batch' })) as { ok: boolean }).ok).toBe(true);
      type Answer = { ok: boolean; error?: { code: string; details?: { retryAfterMs?: number } } };
      let refused: { answer: Answer; counted: number; topic: string } | null = null;
      // Until the gate has closed (two late windows after the start), a batch may still get in.
      for (let attempt = 0; attempt < 40 && !refused; attempt++) {
        const topic = `ov:batch${attempt}`;
        const before = await metric(t, 'agenthub_event_publishes_refused_overload_total');
        const events = Array.from({ length: 20 }, (_, i) => ({ topic, payload: i }));
        const answer = (await socket.timeout(5000).emitWithAck('event:publish-batch', { events })) as Answer;
        if (!answer.ok) refused = { answer, counted: (await metric(t, 'agenthub_event_publishes_refused_overload_total')) - before, topic };
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(refused?.answer.error?.code).toBe('RATE_LIMITED');
      expect(refused?.answer.error?.details?.retryAfterMs).toBeGreaterThan(0);
      expect(refused?.counted).toBe(20);
      const logged = (await (await t.api(`/api/events?patterns=${refused!.topic}&limit=100`)).json()) as { items: unknown[] };
      expect(logged.items).toEqual([]);
    } finally {
      socket.close();
    }
  });

  // One packet may carry many events (a burst as one `events` message): bytes are a limit too.
  it.each([
    ['packets', { SLOW_CONSUMER_MAX_PACKETS: '10' }],
    ['bytes', { SLOW_CONSUMER_MAX_BYTES: '65536' }],
  ])(
    'disconnects a subscriber that stops reading (%s waiting); it resumes from its offset and others are unaffected',
    async (_, env) => {
      t = await startTestHub(env);
      const pub = await t.agent('slow-pub');
      const slow = await t.agent('slow-sub', { reconnectDelayMs: 100 });
      const fast = await t.agent('fast-sub');
      const got = { slow: new Set<string>(), fast: new Set<string>() };
      await slow.subscribe(['slow:#'], (e: HubEvent) => void got.slow.add(e.id), { policy: 'full' });
      await fast.subscribe(['slow:#'], (e: HubEvent) => void got.fast.add(e.id), { policy: 'full' });
      const reasons: string[] = [];
      slow.on('disconnected', (r: string) => reasons.push(r));
      // The slow agent's process stops reading its socket (its TCP window fills up).
      const engine = slow.socket.io.engine as unknown as { transport: { ws: { _socket: { pause(): void; resume(): void } } } };
      // Kept: once the hub has cut it, the client may close this transport (its own ping timeout)
      // and drop `ws` before the test resumes reading; resuming a closed socket is harmless.
      const tcp = engine.transport.ws._socket;
      tcp.pause();
      const blob = 'x'.repeat(2000);
      const ids: string[] = [];
      // Every publish is settled here: none may fail, and none may reject unobserved if the test ends early.
      const failed: unknown[] = [];
      const settled: Promise<unknown>[] = [];
      for (let i = 0; i < 6000; i++) {
        ids.push(`slow-${i}`);
        settled.push(pub.publish('slow:x', { blob }, { id: `slow-${i}` }).catch((err: unknown) => void failed.push(err)));
        if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await eventually(
        async () => (await metric(t!, 'agenthub_agent_slow_consumer_disconnects_total')) >= 1,
        15_000,
        'slow consumer noticed',
      );
      tcp.resume();
      await eventually(() => got.fast.size === ids.length, 20_000, 'fast subscriber has everything');
      await eventually(() => got.slow.size === ids.length, 30_000, 'slow subscriber caught up after its reconnect');
      // The hub closed its transport; the paused client sees that close, or its own ping timeout
      // if it fires first (protocol.md: a slow consumer's close looks like either), never a final
      // namespace disconnect.
      expect(reasons.length).toBeGreaterThan(0);
      for (const r of reasons) expect(['transport close', 'ping timeout', 'transport error']).toContain(r);
      expect(fast.connected && pub.connected).toBe(true);
      await Promise.all(settled);
      expect(failed).toEqual([]);
    },
    90_000,
  );
});
