import { describe, expect, it } from 'vitest';
import type { MetricsSample } from '@agent-hub/protocol';
import { addSample, degradedBands, fromHistory } from './metrics-series.ts';

const T0 = Date.UTC(2026, 0, 1);

function sample(i: number, patch: Partial<MetricsSample> = {}): MetricsSample {
  return {
    at: new Date(T0 + i * 5000).toISOString(),
    intervalMs: 5000,
    publishedPerSec: 1,
    deliveredPerSec: 1,
    propagationP50Ms: 1,
    propagationP95Ms: 2,
    connectedAgents: 1,
    degraded: false,
    storeDegraded: false,
    ...patch,
  };
}

describe('chart series', () => {
  const history = fromHistory({ scope: 'node', node: 'n1', intervalMs: 5000, windowMs: 15_000, samples: [sample(1), sample(2)] });

  it('appends live samples once, in order, within the window', () => {
    const again = addSample(history, { scope: 'node', node: 'n1', sample: sample(2) });
    expect(again.samples).toHaveLength(2);
    const next = addSample(again, { scope: 'node', node: 'n1', sample: sample(4) });
    expect(next.samples.map((s) => s.at)).toEqual([sample(2).at, sample(4).at]);
  });

  it('starts over when the samples come from another node', () => {
    const other = addSample(history, { scope: 'node', node: 'n2', sample: sample(3) });
    expect(other).toMatchObject({ node: 'n2', samples: [sample(3)] });
  });

  it('joins consecutive degraded intervals into one band per kind', () => {
    const bands = degradedBands([sample(1), sample(2, { degraded: true }), sample(3, { degraded: true, storeDegraded: true }), sample(4)]);
    expect(bands).toEqual([
      { kind: 'degraded', from: (T0 + 5000) / 1000, to: (T0 + 15_000) / 1000 },
      { kind: 'store', from: (T0 + 10_000) / 1000, to: (T0 + 15_000) / 1000 },
    ]);
  });
});
