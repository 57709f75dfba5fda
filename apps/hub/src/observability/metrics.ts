import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Request and handler latencies, in seconds (Prometheus base unit): 250 µs to 5 s. */
export const LATENCY_SECONDS = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * One registry per hub instance so tests can run several hubs in one process.
 * Every hub metric is `agenthub_…`, in base units, `_total` on counters (docs/metrics.md). The
 * default process and Node.js metrics keep their standard names (`process_…`, `nodejs_…`) so the
 * usual Node.js dashboards and alerts work unchanged.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    httpDuration: new Histogram({
      name: 'agenthub_http_request_duration_seconds',
      help: 'HTTP request latency in seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_SECONDS,
      registers: [registry],
    }),
    socketDuration: new Histogram({
      name: 'agenthub_socket_handler_duration_seconds',
      help: 'Socket event handler latency (receive to ack) in seconds',
      labelNames: ['event', 'outcome'],
      buckets: LATENCY_SECONDS,
      registers: [registry],
    }),
    socketsConnected: new Gauge({
      name: 'agenthub_sockets_connected',
      help: 'Sockets connected to this node, by namespace',
      labelNames: ['namespace'],
      registers: [registry],
    }),
    heartbeats: new Counter({
      name: 'agenthub_agent_heartbeats_total',
      help: 'Heartbeat pongs received from agents',
      registers: [registry],
    }),
    reconnectDelay: new Histogram({
      name: 'agenthub_agent_reconnect_delay_seconds',
      help: 'How long agents were away before registering again (reported by the SDK on re-registration)',
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'agenthub_agent_slow_consumer_disconnects_total',
      help: 'Agents disconnected because too many packets waited to be written to them',
      registers: [registry],
    }),
    rejectedPayloads: new Counter({
      name: 'agenthub_rejected_payloads_total',
      help: 'Payloads rejected at the edge, by error code',
      labelNames: ['transport', 'code'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'agenthub_auth_failures_total',
      help: 'Failed sign-ins (wrong or missing token), by transport and kind of client',
      labelNames: ['transport', 'client'],
      registers: [registry],
    }),
    authRateLimited: new Counter({
      name: 'agenthub_auth_rate_limited_total',
      help: 'Sign-in attempts refused with RATE_LIMITED because their address failed too often',
      labelNames: ['transport', 'client'],
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
