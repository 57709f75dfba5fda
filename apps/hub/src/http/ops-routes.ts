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
        status: !ok ? 'fail' : status.degraded || status.storeDegraded ? 'degraded' : 'ok',
        version: ctx.state.version,
        node: ctx.state.node,
        uptimeSeconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
        phase: ctx.state.phase,
        checks: {
          store: { kind: ctx.store.kind, ...store },
          adapter: { kind: ctx.adapter.kind, ok: ctx.adapter.ok(), status: ctx.adapter.status() },
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
    return reason ? c.json({ ready: false, reason }, 503) : c.json({ ready: true });
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
