import type { MetricsHistory, MetricsSamplePush } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import { MetricsSampler } from '../observability/metrics-sampler.ts';

/**
 * The dashboard's charts: this node's samples over the last 15 minutes at `GET /api/metrics/history`,
 * and each new one pushed to the dashboards connected to this node. Per node on purpose — with
 * several nodes each serves its own, labelled with its id (docs/metrics.md: per node or cluster-wide).
 */
export function metricsHistoryModule(ctx: HubContext): HubModule & { sampler: MetricsSampler } {
  const log = ctx.logger.child({ module: 'metrics-history' });
  const node = ctx.state.node;
  const sampler = new MetricsSampler({
    registry: ctx.metrics.registry,
    clock: ctx.clock,
    intervalMs: ctx.config.METRICS_SAMPLE_INTERVAL_MS,
    connectedAgents: () => {
      let n = 0;
      ctx.agents.forEachLocal((a) => void (a.connected && n++));
      return n;
    },
    state: ctx.state,
    onError: (err) => log.warn({ err: String(err) }, 'metrics sample not taken'),
  });

  return {
    name: 'metrics-history',
    sampler,
    start: () => sampler.start(),
    close: () => sampler.close(),
    api(api) {
      api.get('/metrics/history', (c) => {
        const body: MetricsHistory = {
          scope: 'node',
          node,
          intervalMs: sampler.intervalMs,
          windowMs: sampler.windowMs,
          samples: sampler.samples(),
        };
        return c.json(body);
      });
    },
    operatorFeed(nsp) {
      sampler.on('sample', (sample) => {
        // Only this node's dashboards, and none at all when nobody watches: a sample is this node's
        // view, and Socket.IO would encode the broadcast before finding it has no recipient.
        if (nsp.sockets.size === 0) return;
        const push: MetricsSamplePush = { scope: 'node', node, sample };
        nsp.local.emit('metrics:sample', push);
      });
    },
  };
}
