import { Hono } from 'hono';
import { HubError, IssueAgentToken, type IssuedAgentToken } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HttpEnv } from './env.ts';
import { jsonBody } from './body.ts';

export function agentRoutes(ctx: HubContext) {
  const app = new Hono<HttpEnv>();

  app.post('/tokens', async (c) => {
    const { agentId, ttlSeconds, permissions } = await jsonBody(c, IssueAgentToken);
    const t = ctx.agentAuth.issue(agentId, ctx.clock.now(), ttlSeconds === undefined ? undefined : ttlSeconds * 1000, permissions);
    const issued: IssuedAgentToken = { agentId, token: t.token, tokenId: t.jti, keyId: t.kid, expiresAt: new Date(t.exp).toISOString() };
    return c.json(issued, 201);
  });

  app.get('/', async (c) => c.json({ items: ctx.cluster ? await ctx.cluster.agents() : ctx.agents.list() }));

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const agent = ctx.agents.get(id) ?? (await ctx.cluster?.agents())?.find((a) => a.id === id) ?? null;
    if (!agent) throw new HubError('AGENT_NOT_FOUND', `no agent ${c.req.param('id')}`);
    return c.json({ ...agent, history: ctx.healthHistory.of(id) });
  });

  return app;
}
