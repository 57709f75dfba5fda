import { Hono } from 'hono';
import { HubError, type AgentSubscriptions, type ReplayPolicy } from '@agent-hub/protocol';
import type { EventBus } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import type { HttpEnv } from '../http/env.ts';
import { localSocketsOf } from '../sockets/agents-namespace.ts';
import type { AgentNamespace, AgentSocket } from '../sockets/handler.ts';

/** Lag is counted by reading the log; past this many events the page says "10,000+" instead of reading on. */
export const LAG_COUNT_LIMIT = 10_000;

/**
 * What this node knows of a connection's subscriptions, kept on the socket (`socket.data.subscriptions`):
 * they live as long as the connection, like the rooms that deliver them.
 */
export interface SubscriptionRecord {
  policies: Record<string, ReplayPolicy>;
  /** Where the connection's first subscription started (its replay's `fromOffset`). */
  startedAfter: number | null;
  /** The highest offset the agent acked as processed, as reported (not clamped to the watermark). */
  acked: number | null;
}

function recordOf(socket: AgentSocket): SubscriptionRecord {
  const data = socket.data as { subscriptions?: SubscriptionRecord };
  return (data.subscriptions ??= { policies: {}, startedAfter: null, acked: null });
}

export function noteSubscribed(socket: AgentSocket, policies: Record<string, ReplayPolicy>, fromOffset: number): void {
  const r = recordOf(socket);
  Object.assign(r.policies, policies);
  r.startedAfter ??= fromOffset;
}

export function noteUnsubscribed(socket: AgentSocket, patterns: string[]): void {
  const r = recordOf(socket);
  for (const p of patterns) delete r.policies[p];
}

export function noteAcked(socket: AgentSocket, offset: number): void {
  const r = recordOf(socket);
  if (offset > (r.acked ?? -1)) r.acked = offset;
}

/**
 * An agent's subscriptions and lag as this node sees them. Lag counts the events in the log (and
 * the batch not yet written) that match its patterns above the offset it acked, read with the
 * log's own query capped at `limit`: offsets may have gaps, so subtracting them would overstate it.
 */
export async function agentSubscriptions(
  nsp: AgentNamespace,
  bus: EventBus,
  agentId: string,
  limit = LAG_COUNT_LIMIT,
): Promise<Omit<AgentSubscriptions, 'node'>> {
  const socket = localSocketsOf(nsp, agentId).find((s) => s.connected);
  if (!socket) {
    return { agentId, connected: false, subscriptions: [], ackedOffset: await bus.agentOffset(agentId), lag: null };
  }
  const r = recordOf(socket);
  const subscriptions = Object.entries(r.policies).map(([pattern, policy]) => ({ pattern, policy }));
  const ackedOffset = r.acked ?? r.startedAfter;
  if (!subscriptions.length || ackedOffset === null) {
    return { agentId, connected: true, subscriptions, ackedOffset, lag: { count: 0, capped: false, limit } };
  }
  const pending = await bus.query({ afterOffset: ackedOffset, patterns: subscriptions.map((s) => s.pattern), limit: limit + 1 });
  return {
    agentId,
    connected: true,
    subscriptions,
    ackedOffset,
    lag: { count: Math.min(pending.length, limit), capped: pending.length > limit, limit },
  };
}

/**
 * `GET /api/agents/:id/subscriptions`. Subscriptions live in the agent's connection: an agent
 * connected to another node is answered with that node's id (`node`) and no subscriptions here.
 */
export function subscriptionRoutes(ctx: HubContext, nsp: AgentNamespace, bus: EventBus): Hono<HttpEnv> {
  const r = new Hono<HttpEnv>();
  r.get('/:id/subscriptions', async (c) => {
    const id = c.req.param('id');
    const agent = ctx.agents.get(id) ?? (await ctx.cluster?.agents())?.find((a) => a.id === id) ?? null;
    if (!agent) throw new HubError('AGENT_NOT_FOUND', `no agent ${id}`);
    const here = await agentSubscriptions(nsp, bus, id);
    const elsewhere = !here.connected && agent.connected && agent.node !== null && agent.node !== ctx.state.node;
    const body: AgentSubscriptions = { ...here, node: elsewhere ? agent.node! : ctx.state.node, connected: here.connected || elsewhere };
    return c.json(body);
  });
  return r;
}
