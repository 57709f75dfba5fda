import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { FakeClock } from '@agent-hub/core';
import type { MetricsSample } from '@agent-hub/protocol';
import { HubState } from '../hub-state.ts';
import { HISTORY_WINDOW_MS, MetricsSampler } from './metrics-sampler.ts';
import { HistogramReading, histogramQuantile } from './histogram-reading.ts';

const INTERVAL = 5000;

/** The two hub metrics the sampler reads, registered as the events module registers them. */
function hubMetrics() {
  const registry = new Registry();
  const published = new Counter({ name: 'agenthub_events_published_total', help: 'h', labelNames: ['priority'], registers: [registry] });
  const latency = new Histogram({
    name: 'agenthub_event_propagation_latency_seconds',
    help: 'h',
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return { registry, published, latency };
}

function setup(agents = () => 0) {
  const clock = new FakeClock();
  const m = hubMetrics();
  const state = new HubState('test', 'node-a', 100);
  const sampler = new MetricsSampler({ registry: m.registry, clock, intervalMs: INTERVAL, connectedAgents: agents, state });
  return { clock, state, sampler, ...m };
}

/** Moves the fake clock one interval and waits for the sample its timer takes. */
async function nextSample(clock: FakeClock, sampler: MetricsSampler): Promise<MetricsSample> {
  const taken = new Promise<MetricsSample>((resolve) => {
    const off = sampler.on('sample', (s) => {
      off();
      resolve(s);
    });
  });
  clock.advance(INTERVAL);
  return taken;
}

describe('metrics sampler', () => {
  it('takes a sample every interval with rates and percentiles of that interval only', async () => {
    const { clock, sampler, published, latency } = setup(() => 3);
    published.inc({ priority: 'normal' }, 7); // before the baseline: not in any sample
    await sampler.start();

    published.inc({ priority: 'normal' }, 40);
    published.inc({ priority: 'high' }, 10);
    for (let i = 0; i < 100; i++) latency.observe(0.0015);
    const first = await nextSample(clock, sampler);
    expect(first).toMatchObject({ publishedPerSec: 10, deliveredPerSec: 20, connectedAgents: 3, degraded: false, intervalMs: INTERVAL });
    expect(first.propagationP50Ms).toBeGreaterThan(1);
    expect(first.propagationP95Ms).toBeLessThanOrEqual(2);

    // The slow interval's percentiles are its own, not blended with the fast one before it.
    for (let i = 0; i < 50; i++) latency.observe(0.04);
    const second = await nextSample(clock, sampler);
    expect(second.publishedPerSec).toBe(0);
    expect(second.deliveredPerSec).toBe(10);
    expect(second.propagationP50Ms).toBeGreaterThan(25);
    expect(second.propagationP95Ms).toBeLessThanOrEqual(50);

    const idle = await nextSample(clock, sampler);
    expect(idle).toMatchObject({ deliveredPerSec: 0, propagationP50Ms: null, propagationP95Ms: null });
    expect(sampler.samples().map((s) => s.at)).toEqual([first.at, second.at, idle.at]);
    sampler.close();
  });

  it('keeps only the last 15 minutes of samples', async () => {
    const { clock, sampler } = setup();
    await sampler.start();
    const perWindow = HISTORY_WINDOW_MS / INTERVAL;
    for (let i = 0; i < perWindow + 20; i++) await nextSample(clock, sampler);
    const kept = sampler.samples();
    expect(kept).toHaveLength(perWindow);
    expect(Date.parse(kept[0]!.at)).toBeGreaterThan(clock.now() - HISTORY_WINDOW_MS);
    expect(kept.at(-1)!.at).toBe(new Date(clock.now()).toISOString());
    sampler.close();
  });

  it('flags an interval in which the hub was degraded, even briefly', async () => {
    const { clock, state, sampler } = setup();
    await sampler.start();
    expect((await nextSample(clock, sampler)).degraded).toBe(false);

    // Degraded and back between two samples: the interval still shows it.
    state.set({ degradedReason: '4 agent failures within 30 s' });
    state.set({ degradedReason: null });
    expect((await nextSample(clock, sampler)).degraded).toBe(true);
    expect((await nextSample(clock, sampler)).degraded).toBe(false);

    state.set({ degradedReason: 'still failing', storeDegraded: true });
    expect(await nextSample(clock, sampler)).toMatchObject({ degraded: true, storeDegraded: true });
    expect(await nextSample(clock, sampler)).toMatchObject({ degraded: true, storeDegraded: true });
    sampler.close();
  });

  it('stops sampling once closed', async () => {
    const { clock, sampler } = setup();
    await sampler.start();
    await nextSample(clock, sampler);
    sampler.close();
    clock.advance(INTERVAL * 3);
    await Promise.resolve();
    expect(sampler.samples()).toHaveLength(1);
  });
});

describe('histogram quantile', () => {
  it('interpolates inside the bucket like histogram_quantile', () => {
    // 10 observations ≤ 1, 10 more in (1, 2], none above.
    const h = new HistogramReading([1, 2, Infinity], [10, 20, 20]);
    expect(histogramQuantile(h, 0.5)).toBe(1);
    expect(histogramQuantile(h, 0.75)).toBe(1.5);
    expect(histogramQuantile(new HistogramReading([1, Infinity], [0, 0]), 0.5)).toBeNull();
  });

  it('answers the highest finite bound for a quantile in the +Inf bucket', () => {
    expect(histogramQuantile(new HistogramReading([1, 2, Infinity], [0, 0, 4]), 0.95)).toBe(2);
  });

  it('subtracts an earlier reading, and treats a reset as no observations', () => {
    const later = new HistogramReading([1, Infinity], [5, 9]);
    expect(later.minus(new HistogramReading([1, Infinity], [2, 3])).cumulative).toEqual([3, 6]);
    expect(later.minus(new HistogramReading([1, Infinity], [6, 10])).count).toBe(0);
  });
});
