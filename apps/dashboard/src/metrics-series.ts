import type { MetricsHistory, MetricsSample, MetricsSamplePush } from '@agent-hub/protocol';

/** One node's chart samples, oldest first: the REST history, then each sample pushed live. */
export interface NodeSeries {
  node: string;
  windowMs: number;
  samples: MetricsSample[];
}

export function fromHistory(h: MetricsHistory): NodeSeries {
  return { node: h.node, windowMs: h.windowMs, samples: h.samples };
}

/**
 * Adds a pushed sample: once only (a push may repeat the last sample the history already had), in
 * time order, within the window. A push from another node (the socket reconnected elsewhere) starts
 * that node's series: the view shows one node, never a mix labelled as one.
 */
export function addSample(series: NodeSeries | null, push: MetricsSamplePush, windowMs = series?.windowMs ?? 15 * 60_000): NodeSeries {
  if (!series || series.node !== push.node) return { node: push.node, windowMs, samples: [push.sample] };
  if (series.samples.some((s) => s.at === push.sample.at)) return series;
  const samples = [...series.samples, push.sample].sort((a, b) => a.at.localeCompare(b.at));
  const oldest = Date.parse(push.sample.at) - windowMs;
  return { ...series, samples: samples.filter((s) => Date.parse(s.at) > oldest) };
}

export type BandKind = 'degraded' | 'store';

/** A stretch of consecutive degraded intervals, in seconds since the epoch (uPlot's time scale). */
export interface Band {
  kind: BandKind;
  from: number;
  to: number;
}

/** Degraded-mode and store-degraded periods: each flagged sample covers its whole interval. */
export function degradedBands(samples: MetricsSample[]): Band[] {
  const bands: Band[] = [];
  for (const kind of ['degraded', 'store'] as const) {
    let open: Band | null = null;
    for (const s of samples) {
      const flagged = kind === 'degraded' ? s.degraded : s.storeDegraded;
      const to = Date.parse(s.at) / 1000;
      const from = to - s.intervalMs / 1000;
      if (!flagged) {
        open = null;
        continue;
      }
      if (open && from <= open.to + 0.001) open.to = to;
      else bands.push((open = { kind, from, to }));
    }
  }
  return bands;
}

/** uPlot's columnar data: time (s) first, then one array per series. */
export function columns(
  samples: MetricsSample[],
  ...picks: Array<(s: MetricsSample) => number | null>
): [number[], ...Array<Array<number | null>>] {
  return [samples.map((s) => Date.parse(s.at) / 1000), ...picks.map((pick) => samples.map(pick))];
}
