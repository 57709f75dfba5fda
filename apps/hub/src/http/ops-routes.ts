import { Hono } from 'hono';
import type { HubContext } from '../context.ts';
import type { HttpEnv } from './env.ts';

/** Unauthenticated probes for load balancers and orchestrators. */
export function opsRoutes(ctx: HubContext) {
  const app = new Hono<HttpEnv>();

  app.get('/health', async (c) => {
    const store = await checkStore(ctx);
    const status = ctx.state.status();
    const ok = store.ok && ctx.state.phase !== 'shutting-down';
    return c.json(
      {
        status: !ok ? 'fail' : status.degraded || status.storeDegraded || !ctx.adapter.ok() ? 'degraded' : 'ok',
        version: ctx.state.version,
        node: ctx.state.node,
        uptimeSeconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
        phase: ctx.state.phase,
        checks: {
          store: { kind: ctx.store.kind, ...store },
          adapter: { kind: ctx.adapter.kind, ok: ctx.adapter.ok(), status: ctx.adapter.status() },
          ...(ctx.cluster ? { cluster: { ok: ctx.cluster.ok(), nodes: await ctx.cluster.nodes().catch(() => []) } } : {}),
        },
        degraded: status.degraded,
        degradedReason: status.degradedReason,
        sessionLimit: status.sessionLimit,
        agents: ctx.agents.list().filter((a) => a.connected).length,
      },
      ok ? 200 : 503,
    );
  });

  app.get('/ready', (c) => {
    const reason = ctx.state.notReadyReason();
    if (reason) return c.json({ ready: false, reason }, 503);
    // Redis away: this node still serves its own agents, so it stays ready, and says why it is partial.
    const warnings = ctx.adapter.ok() ? [] : ['redis unavailable: cross-node rooms and broadcasts are paused; local agents are served'];
    return c.json(warnings.length ? { ready: true, warnings } : { ready: true });
  });

  return app;
}

async function checkStore(ctx: HubContext): Promise<{ ok: boolean; latencyMs?: number; error?: string }> {
  const start = performance.now();
  try {
    await ctx.store.ping();
    return { ok: true, latencyMs: Math.round((performance.now() - start) * 100) / 100 };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
