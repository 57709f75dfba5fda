import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { serveStatic } from '@hono/node-server/serve-static';
import { HubError } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import { noAudit, type AuditSink } from '../audit/audit-trail.ts';
import { operatorGuard } from './operator-guard.ts';
import { statusOf, toErrorBody } from '../errors.ts';
import type { HttpEnv } from './env.ts';
import { opsRoutes } from './ops-routes.ts';
import { agentRoutes } from './agent-routes.ts';
import { openApiRoutes } from './openapi/index.ts';

export type ApiMount = (api: Hono<HttpEnv>, ctx: HubContext) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP face of the hub: probes, metrics, the /api routes and the dashboard's static files. */
export function createHttpApp(ctx: HubContext, mounts: ApiMount[] = [], audit: AuditSink = noAudit): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const requireOperator = operatorGuard(ctx, audit);

  app.use('*', correlation(ctx));
  app.route('/', opsRoutes(ctx));
  app.route('/', openApiRoutes());

  const api = new Hono<HttpEnv>();
  api.use('*', requireOperator);
  api.use(
    '*',
    bodyLimit({
      maxSize: ctx.config.HTTP_MAX_BODY_BYTES,
      onError: () => {
        throw new HubError('PAYLOAD_TOO_LARGE', `body exceeds ${ctx.config.HTTP_MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  // Path parameters go to the store as text: one NUL (refused by PostgreSQL) would be INTERNAL.
  api.use('*', async (c, next) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      throw new HubError('VALIDATION_FAILED', 'the path is not valid percent-encoding');
    }
    if (path.includes('\0')) throw new HubError('VALIDATION_FAILED', 'the path may not contain the NUL character');
    await next();
  });
  api.get('/status', (c) => c.json(ctx.state.status()));
  api.route('/agents', agentRoutes(ctx));
  for (const mount of mounts) mount(api, ctx);
  api.all('*', () => {
    throw new HubError('NOT_FOUND', 'no such API route');
  });
  app.route('/api', api);

  app.get('/metrics', requireOperator, async (c) => {
    c.header('content-type', ctx.metrics.registry.contentType);
    return c.body(await ctx.metrics.registry.metrics());
  });

  mountDashboard(app, ctx);

  app.onError((err, c) => {
    const body = toErrorBody(err, c.get('log') ?? ctx.logger);
    if (body.code === 'VALIDATION_FAILED' || body.code === 'PAYLOAD_TOO_LARGE' || body.code === 'UNAUTHENTICATED') {
      ctx.metrics.rejectedPayloads.inc({ transport: 'http', code: body.code });
    }
    const retryAfterMs = (body.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    if (body.code === 'RATE_LIMITED' && typeof retryAfterMs === 'number') c.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    return c.json({ error: body }, statusOf(body) as 400);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: 'not found' } }, 404));
  return app;
}

/** Correlation id per request (propagated from x-request-id), a child logger, latency metric. */
function correlation(ctx: HubContext): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = ctx.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('x-request-id', requestId);
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    const route = c.req.routePath || 'unmatched';
    ctx.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, ms / 1000);
    log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'http request');
  };
}

/**
 * The dashboard's built files are public (they hold no data; every API call and socket needs the
 * token), so the browser can load the sign-in page.
 */
function mountDashboard(app: Hono<HttpEnv>, ctx: HubContext): void {
  const dir = path.resolve(ctx.config.DASHBOARD_DIR ?? defaultDashboardDir());
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.get('/', (c) => c.text('Agent Hub is running. The dashboard is not built: run `pnpm --filter @agent-hub/dashboard build`.', 200));
    return;
  }
  const root = path.relative(process.cwd(), dir) || '.';
  app.use('/assets/*', serveStatic({ root }));
  app.get('/favicon.svg', serveStatic({ root }));
  // Client-side routes fall back to index.html.
  app.get('*', serveStatic({ root, path: 'index.html' }));
}

function defaultDashboardDir(): string {
  return path.resolve(new URL('.', import.meta.url).pathname, '../../../dashboard/dist');
}
