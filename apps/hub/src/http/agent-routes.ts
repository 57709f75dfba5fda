import { Hono } from 'hono';
import { HubError, IssueAgentToken } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HttpEnv } from './env.ts';
import { jsonBody } from './body.ts';

export function agentRoutes(ctx: HubContext) {
  const app = new Hono<HttpEnv>();

  app.post('/tokens', async (c) => {
    const { agentId } = await jsonBody(c, IssueAgentToken);
    return c.json({ agentId, token: ctx.agentTokens.issue(agentId) }, 201);
  });

  app.get('/', (c) => c.json({ items: ctx.agents.list() }));

  app.get('/:id', (c) => {
    const agent = ctx.agents.get(c.req.param('id'));
    if (!agent) throw new HubError('AGENT_NOT_FOUND', `no agent ${c.req.param('id')}`);
    return c.json(agent);
  });

  return app;
}
