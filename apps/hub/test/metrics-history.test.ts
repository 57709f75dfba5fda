import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import type { HubEvent, MetricsHistory, MetricsSample, MetricsSamplePush } from '@agent-hub/protocol';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ METRICS_SAMPLE_INTERVAL_MS: '200' });
});
afterAll(() => t.close());

async function history(): Promise<MetricsHistory> {
  const res = await t.api('/api/metrics/history');
  expect(res.status).toBe(200);
  return json(res);
}

/** Events a list of samples accounts for: rate × interval, summed. */
const total = (samples: MetricsSample[], rate: (s: MetricsSample) => number) =>
  Math.round(samples.reduce((sum, s) => sum + (rate(s) * s.intervalMs) / 1000, 0));

describe('metrics history', () => {
  it("serves this node's samples, with published and delivered events, to operators only", async () => {
    expect((await t.api('/api/metrics/history', { auth: false })).status).toBe(401);

    const sub = await t.agent('charts-sub');
    const pub = await t.agent('charts-pub');
    const got: HubEvent[] = [];
    await sub.subscribe(['charts:#'], (e) => void got.push(e));
    for (let i = 0; i < 20; i++) await pub.publish('charts:tick', i);
    await eventually(() => got.length === 20, 5000, 'delivery');

    // The subscriber acks with its receipt latencies; the next samples count them as delivered.
    await eventually(async () => total((await history()).samples, (s) => s.deliveredPerSec) >= 20, 5000, 'delivered in history');
    const h = await history();
    expect(h).toMatchObject({ scope: 'node', node: t.hub.ctx.state.node, intervalMs: 200, windowMs: 15 * 60_000 });
    // The hub publishes too (each agent's health transitions): every event in the log came through this node.
    const logged = (await json(await t.api('/api/events?limit=1000'))).items as HubEvent[];
    expect(logged.filter((e) => e.topic === 'charts:tick')).toHaveLength(20);
    expect(total(h.samples, (s) => s.publishedPerSec)).toBe(logged.length);
    expect(total(h.samples, (s) => s.deliveredPerSec)).toBe(20);
    const withLatency = h.samples.filter((s) => s.propagationP50Ms !== null);
    expect(withLatency.length).toBeGreaterThan(0);
    for (const s of withLatency) expect(s.propagationP95Ms!).toBeGreaterThanOrEqual(s.propagationP50Ms!);
    expect(h.samples.at(-1)).toMatchObject({ connectedAgents: 2, degraded: false });
    const times = h.samples.map((s) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('pushes each new sample to a connected dashboard, labelled with the node', async () => {
    const socket = io(`${t.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true });
    try {
      const push = await new Promise<MetricsSamplePush>((resolve, reject) => {
        socket.once('connect_error', reject);
        socket.once('metrics:sample', resolve);
      });
      expect(push).toMatchObject({ scope: 'node', node: t.hub.ctx.state.node });
      expect(push.sample.intervalMs).toBeGreaterThan(0);
      expect((await history()).samples.map((s) => s.at)).toContain(push.sample.at);
    } finally {
      socket.close();
    }
  });
});
