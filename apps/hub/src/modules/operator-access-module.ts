import { Hono } from 'hono';
import type { Server } from 'socket.io';
import { CreateOperatorToken, OPERATOR_SCOPES, scopeIncludes, type OperatorIdentity } from '@agent-hub/protocol';
import { operatorsNamespaceOf } from '../sockets/operators-namespace.ts';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody } from '../http/body.ts';
import { credentialRoom } from '../sockets/operators-namespace.ts';

/**
 * Who the bearer is (`GET /api/me`, for the dashboard to hide what it may not do) and the admin
 * routes for operator credentials: list, create, revoke. Revoking also closes that credential's
 * dashboards on every node at once (their room spans nodes with the Redis adapter).
 */
export function operatorAccessModule(ctx: HubContext, io: Server): HubModule {
  const operators = operatorsNamespaceOf(io);
  return {
    name: 'operator-access',
    api(api) {
      api.get('/me', (c) => {
        const op = c.get('operator');
        const body: OperatorIdentity = {
          name: op.name,
          scope: op.scope,
          scopes: OPERATOR_SCOPES.filter((s) => scopeIncludes(op.scope, s)),
        };
        return c.json(body);
      });

      const r = new Hono<HttpEnv>();
      r.get('/', async (c) => c.json({ items: await ctx.operators.list() }));
      r.post('/', async (c) => {
        const input = await jsonBody(c, CreateOperatorToken);
        const issued = await ctx.operators.issue(input.name, input.scope, c.get('operator').name);
        c.set('audit', { action: 'token.issue', details: { id: issued.id, name: issued.name, scope: issued.scope } });
        return c.json(issued, 201);
      });
      r.post('/:id/revoke', async (c) => {
        const revoked = await ctx.operators.revoke(c.req.param('id'), c.get('operator').name);
        c.set('audit', { action: 'token.revoke', details: { id: revoked.id, name: revoked.name, scope: revoked.scope } });
        operators.in(credentialRoom(revoked.id)).disconnectSockets(true);
        return c.json(revoked);
      });
      api.route('/operators/tokens', r);
    },
  };
}
