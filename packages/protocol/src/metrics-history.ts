/**
 * The operator console's charts: one sample per interval of what this node did. Every figure is
 * per node (`scope: 'node'`): with several hub nodes, each one serves and pushes its own.
 */
export interface MetricsSample {
  /** End of the interval (ISO time). */
  at: string;
  intervalMs: number;
  /** Events published through this node per second over the interval. */
  publishedPerSec: number;
  /** Events this node's subscribers reported receiving per second (from SDK acks). */
  deliveredPerSec: number;
  /** Publish-to-receipt latency of the receipts reported in the interval; null when there were none. */
  propagationP50Ms: number | null;
  propagationP95Ms: number | null;
  /** Agents connected to this node at the end of the interval. */
  connectedAgents: number;
  /** This node was in degraded mode (too many agent failures) at some point of the interval. */
  degraded: boolean;
  /** This node could not write to the store at some point of the interval. */
  storeDegraded: boolean;
}

/** `GET /api/metrics/history`: the last 15 minutes of samples, oldest first. */
export interface MetricsHistory {
  scope: 'node';
  node: string;
  intervalMs: number;
  windowMs: number;
  samples: MetricsSample[];
}

/** `metrics:sample` on `/operators`: each new sample, from the node the dashboard is connected to. */
export interface MetricsSamplePush {
  scope: 'node';
  node: string;
  sample: MetricsSample;
}
