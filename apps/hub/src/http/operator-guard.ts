import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { HubError, scopeIncludes } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import { bearer } from '../auth/operator-token.ts';
import { requiredScope } from '../auth/route-scopes.ts';
import type { AuditSink } from '../audit/audit-trail.ts';
import type { HttpEnv } from './env.ts';

/** The client's address as the hub believes it (X-Forwarded-For only from TRUSTED_PROXIES). */
export function sourceOf(ctx: HubContext, c: Context<HttpEnv>): string {
  const peer = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
  return ctx.signIns.address(peer, c.req.header('x-forwarded-for'));
}

/**
 * Every `/api` request and `/metrics`: the address must not be locked out by failed sign-ins, the
 * bearer must be a live operator credential, and its scope must cover the route. Every request
 * that changes something, and every refusal for scope, is written to the audit log afterwards
 * with who, what, the outcome and where from.
 */
export function operatorGuard(ctx: HubContext, audit: AuditSink): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const source = sourceOf(ctx, c);
    ctx.signIns.admit(source, 'http', 'operator');
    const token = bearer(c.req.header('authorization'));
    if (!token) throw new HubError('UNAUTHENTICATED', 'send Authorization: Bearer <operator token>');
    const operator = await ctx.operators.authenticate(token);
    if (!operator) {
      ctx.signIns.failed(source, 'http', 'operator');
      throw new HubError('UNAUTHENTICATED', 'operator token not accepted');
    }
    c.set('operator', operator);
    const method = c.req.method;
    const action = `${method} ${c.req.path}`;
    const entry = { who: operator.name, scope: operator.scope, action, source, requestId: c.get('requestId') };
    const needed = requiredScope(method, c.req.path);
    if (!scopeIncludes(operator.scope, needed)) {
      await audit.record({ ...entry, outcome: 'FORBIDDEN', status: 403, details: { required: needed } });
      throw new HubError('FORBIDDEN', `this needs the "${needed}" scope; credential "${operator.name}" has "${operator.scope}"`, {
        required: needed,
        scope: operator.scope,
      });
    }
    await next();
    if (method === 'GET' || method === 'HEAD') return;
    const err = c.error;
    const outcome = c.res.status < 400 ? 'ok' : err instanceof HubError ? err.code : String(c.res.status);
    const extra = c.get('audit');
    await audit.record({ ...entry, action: extra?.action ?? action, outcome, status: c.res.status, details: extra?.details });
  };
}
