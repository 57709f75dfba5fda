import { useEffect, useMemo, useState } from 'react';
import type { MetricsHistory, MetricsSamplePush } from '@agent-hub/protocol';
import { UnauthorizedError, errorWithCode, type HubApi } from '../api.ts';
import { addSample, columns, degradedBands, fromHistory, type NodeSeries } from '../metrics-series.ts';
import { MetricsChart, type ChartSeries } from './MetricsChart.tsx';

interface Props {
  api: HubApi;
  /** The latest sample pushed by the node this dashboard's socket is connected to. */
  live: MetricsSamplePush | null;
}

// Module constants: a chart is rebuilt only when its series change.
const THROUGHPUT: ChartSeries[] = [
  { label: 'published', color: '#3859d6', unit: '/s' },
  { label: 'delivered', color: '#17703a', unit: '/s' },
];
const LATENCY: ChartSeries[] = [
  { label: 'p50', color: '#3859d6', unit: ' ms' },
  { label: 'p95', color: '#a61b1b', unit: ' ms' },
];
const AGENTS: ChartSeries[] = [{ label: 'connected', color: '#555d6e', unit: '' }];

/** Live charts of the last 15 minutes of this node: filled from the API on load, then by pushes. */
export function ChartsView({ api, live }: Props) {
  const [series, setSeries] = useState<NodeSeries | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    api.getMetricsHistory().then(
      (h) => current && setSeries((pushed) => withHistory(h, pushed)),
      (err: unknown) => current && !(err instanceof UnauthorizedError) && setError(`Could not load the charts: ${errorWithCode(err)}`),
    );
    return () => {
      current = false;
    };
  }, [api]);

  useEffect(() => {
    if (live) setSeries((s) => addSample(s, live));
  }, [live]);

  const samples = useMemo(() => series?.samples ?? [], [series]);
  const charts = useMemo(
    () => ({
      bands: degradedBands(samples),
      throughput: columns(
        samples,
        (s) => s.publishedPerSec,
        (s) => s.deliveredPerSec,
      ),
      latency: columns(
        samples,
        (s) => s.propagationP50Ms,
        (s) => s.propagationP95Ms,
      ),
      agents: columns(samples, (s) => s.connectedAgents),
    }),
    [samples],
  );
  const degradedNow = samples.at(-1)?.degraded || samples.at(-1)?.storeDegraded;

  return (
    <div className="stack" data-testid="charts-view">
      <section className="panel">
        <div className="panel-head">
          <h2>Charts</h2>
          <span className="muted" data-testid="charts-scope">
            {series ? (
              <>
                this node (<span className="mono wrap-anywhere">{series.node}</span>) · last 15 minutes
              </>
            ) : (
              'this node · last 15 minutes'
            )}
          </span>
        </div>
        <p className="muted chart-note">
          Figures are this node's own: with several hub nodes, each shows what it published and what its subscribers received. Shaded:{' '}
          <span className="band-key band-degraded">degraded mode</span> <span className="band-key band-store">store unavailable</span>
          {degradedNow && <strong> · degraded now</strong>}
        </p>
        {error && <p className="form-error">{error}</p>}
        {!series && !error && <p className="empty">Loading charts…</p>}
        {series && samples.length === 0 && (
          <p className="empty" data-testid="charts-empty">
            No samples yet: the first arrives within one interval.
          </p>
        )}
        {series && (
          <div className="charts">
            <MetricsChart
              title="Throughput (events/s)"
              testId="chart-throughput"
              series={THROUGHPUT}
              data={charts.throughput}
              bands={charts.bands}
            />
            <MetricsChart title="Propagation latency" testId="chart-latency" series={LATENCY} data={charts.latency} bands={charts.bands} />
            <MetricsChart title="Connected agents" testId="chart-agents" series={AGENTS} data={charts.agents} bands={charts.bands} />
          </div>
        )}
      </section>
    </div>
  );
}

/** Samples pushed before the history answered are kept, not lost behind the older copy. */
function withHistory(h: MetricsHistory, pushed: NodeSeries | null): NodeSeries {
  let series = fromHistory(h);
  if (pushed?.node !== h.node) return series;
  for (const sample of pushed.samples) series = addSample(series, { scope: 'node', node: h.node, sample });
  return series;
}
