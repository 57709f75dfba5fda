import { Hono, type Context } from 'hono';
import type { HubContext } from '../context.ts';
import type { HttpEnv } from './env.ts';
import { sharedChecks, warnings } from './probe-checks.ts';

/**
 * Unauthenticated probes for load balancers and orchestrators. Liveness and readiness depend only
 * on this process: a shared store or Redis outage is reported in the body, because failing on it
 * would restart (or take out of service) every node at once. `/health` and `/ready` are the
 * documented older names.
 */
export function opsRoutes(ctx: HubContext) {
  const app = new Hono<HttpEnv>();

  // Live: the event loop turns (this handler runs) and the process is not stopping.
  const livez = async (c: Context<HttpEnv>) => {
    const checks = await sharedChecks(ctx);
    const status = ctx.state.status();
    const live = ctx.state.phase !== 'shutting-down';
    const partial = status.degraded || status.storeDegraded || !checks.store.ok || !checks.adapter.ok || checks.cluster?.ok === false;
    return c.json(
      {
        status: !live ? 'fail' : partial ? 'degraded' : 'ok',
        version: ctx.state.version,
        node: ctx.state.node,
        uptimeSeconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
        phase: ctx.state.phase,
        checks,
        warnings: warnings(ctx, checks.store),
        degraded: status.degraded,
        degradedReason: status.degradedReason,
        sessionLimit: status.sessionLimit,
        agents: ctx.agents.list().filter((a) => a.connected).length,
      },
      live ? 200 : 503,
    );
  };

  // Ready: started and not draining. Degraded mode and store trouble are warnings, not reasons.
  const readyz = async (c: Context<HttpEnv>) => {
    const phase = ctx.state.phase;
    if (phase !== 'ready') return c.json({ ready: false, reason: phase === 'starting' ? 'starting' : 'shutting down' }, 503);
    const checks = await sharedChecks(ctx);
    const list = warnings(ctx, checks.store);
    return c.json(list.length ? { ready: true, warnings: list, checks } : { ready: true, checks });
  };

  app.get('/livez', livez);
  app.get('/health', livez);
  app.get('/readyz', readyz);
  app.get('/ready', readyz);
  return app;
}
