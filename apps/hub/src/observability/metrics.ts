import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** One registry per hub instance so tests can run several hubs in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_ms',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_MS,
      registers: [registry],
    }),
    socketDuration: new Histogram({
      name: 'socket_handler_duration_ms',
      help: 'Socket event handler latency (receive to ack)',
      labelNames: ['event', 'outcome'],
      buckets: LATENCY_MS,
      registers: [registry],
    }),
    storeDuration: new Histogram({
      name: 'store_operation_duration_ms',
      help: 'Store operation latency',
      labelNames: ['op'],
      buckets: LATENCY_MS,
      registers: [registry],
    }),
    socketsConnected: new Gauge({
      name: 'sockets_connected',
      help: 'Connected sockets by namespace',
      labelNames: ['namespace'],
      registers: [registry],
    }),
    reconnectDelay: new Histogram({
      name: 'agent_reconnect_delay_seconds',
      help: 'How long agents were away before registering again (reported by the SDK on re-registration)',
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'agent_slow_consumer_disconnects_total',
      help: 'Agents disconnected because too many packets waited to be written to them',
      registers: [registry],
    }),
    rejectedPayloads: new Counter({
      name: 'rejected_payloads_total',
      help: 'Payloads rejected at the edge, by error code',
      labelNames: ['transport', 'code'],
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Times an async operation into a histogram, whatever its outcome. */
export async function timed<T>(h: Histogram<string>, labels: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    h.observe(labels, performance.now() - start);
  }
}
