import type { Registry } from 'prom-client';

/**
 * A histogram's cumulative bucket counts at one moment (summed over label sets). Two readings
 * subtract to the observations between them, the way PromQL's `increase()` does before
 * `histogram_quantile()`.
 */
export class HistogramReading {
  constructor(
    /** Upper bounds in ascending order, the last one `Infinity`. */
    readonly bounds: readonly number[],
    /** Cumulative count of observations ≤ each bound. */
    readonly cumulative: readonly number[],
  ) {}

  get count(): number {
    return this.cumulative.at(-1) ?? 0;
  }

  /** The observations since `earlier`; a reset in between (a count going down) counts as none. */
  minus(earlier: HistogramReading): HistogramReading {
    const before = new Map(earlier.bounds.map((b, i) => [b, earlier.cumulative[i]!]));
    const deltas = this.cumulative.map((c, i) => c - (before.get(this.bounds[i]!) ?? 0));
    if (deltas.some((d) => d < 0))
      return new HistogramReading(
        this.bounds,
        this.bounds.map(() => 0),
      );
    return new HistogramReading(this.bounds, deltas);
  }
}

/**
 * The q-quantile, interpolated linearly inside its bucket as Prometheus' `histogram_quantile`
 * does; null without observations. A quantile in the `+Inf` bucket is the highest finite bound.
 */
export function histogramQuantile(h: HistogramReading, q: number): number | null {
  const total = h.count;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < h.bounds.length; i++) {
    const upTo = h.cumulative[i]!;
    if (upTo < rank) continue;
    const upper = h.bounds[i]!;
    const lower = i === 0 ? 0 : h.bounds[i - 1]!;
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : h.cumulative[i - 1]!;
    const inBucket = upTo - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return h.bounds.at(-2) ?? null;
}

/** Reads a histogram from the registry; an unregistered one reads as empty. */
export async function readHistogram(registry: Registry, name: string): Promise<HistogramReading> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return new HistogramReading([Infinity], [0]);
  const { values } = await metric.get();
  const byBound = new Map<number, number>();
  // Histograms list their `_bucket`, `_sum` and `_count` series together, each with its name.
  for (const v of values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
    if (v.metricName !== `${name}_bucket`) continue;
    const le = v.labels.le;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + v.value);
  }
  if (!byBound.size) return new HistogramReading([Infinity], [0]);
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return new HistogramReading(
    bounds,
    bounds.map((b) => byBound.get(b)!),
  );
}

/** A counter's value summed over its label sets (0 when it is not registered). */
export async function readCounterTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
