import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Band } from '../metrics-series.ts';

export interface ChartSeries {
  label: string;
  color: string;
  /** Shown after the latest value in the legend (e.g. "/s", " ms"). */
  unit: string;
}

interface Props {
  title: string;
  testId: string;
  series: ChartSeries[];
  data: [number[], ...Array<Array<number | null>>];
  bands: Band[];
}

const HEIGHT = 160;
const BAND_COLORS: Record<Band['kind'], string> = {
  degraded: 'rgba(166, 27, 27, 0.14)',
  store: 'rgba(138, 90, 0, 0.16)',
};

/**
 * One uPlot chart over time, as wide as its panel (so a phone never scrolls sideways), with the
 * degraded periods shaded behind the lines and a legend of the latest values.
 */
export function MetricsChart({ title, testId, series, data, bands }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The draw hook reads the current bands without rebuilding the chart on every sample.
  const bandsRef = useRef(bands);
  bandsRef.current = bands;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max ?? min ?? 1)] } },
      axes: [
        { stroke: '#6b7385', grid: { stroke: '#eceef2' } },
        { stroke: '#6b7385', grid: { stroke: '#eceef2' }, size: 44 },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false, points: { show: false } }))],
      hooks: { drawClear: [(u) => shade(u, bandsRef.current)] },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is built once per set of series; new data goes through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, bands]);

  const points = data[0].length;
  return (
    <figure className="chart" data-testid={testId} data-points={points}>
      <figcaption className="chart-head">
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          {series.map((s, i) => (
            <span key={s.label} className="chart-legend-item" data-testid={`${testId}-legend-${i}`}>
              <span className="chart-swatch" style={{ background: s.color }} />
              {s.label} <strong>{formatLatest(data[i + 1] ?? [], s.unit)}</strong>
            </span>
          ))}
        </span>
      </figcaption>
      <div ref={box} className="chart-plot" />
    </figure>
  );
}

function formatLatest(values: Array<number | null>, unit: string): string {
  const last = values.at(-1);
  if (last === null || last === undefined) return '—';
  return `${last < 10 && !Number.isInteger(last) ? last.toFixed(1) : Math.round(last)}${unit}`;
}

/** Fills each band across the plot's height, before the grid and lines are drawn over it. */
function shade(u: uPlot, bands: Band[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  for (const b of bands) {
    const left = Math.max(bbox.left, u.valToPos(b.from, 'x', true));
    const right = Math.min(bbox.left + bbox.width, u.valToPos(b.to, 'x', true));
    if (right <= left) continue;
    ctx.fillStyle = BAND_COLORS[b.kind];
    ctx.fillRect(left, bbox.top, right - left, bbox.height);
  }
  ctx.restore();
}
