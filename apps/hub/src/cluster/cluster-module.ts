import type { AgentInfo } from '@agent-hub/protocol';
import type { EventBus } from '@agent-hub/core';
import type { Server } from 'socket.io';
import { AGENTS_NAMESPACE, OPERATORS_NAMESPACE } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import { NodeRegistry } from './node-registry.ts';
import { LeaderLease } from './leader-lease.ts';

/**
 * Several hub nodes on one Redis: a shared agent registry with per-node heartbeats. When a node
 * dies, a survivor marks its agents disconnected (dashboard and bus see it); the agents reconnect
 * to a surviving node on their own and resume from their offsets.
 */
export function clusterModule(
  ctx: HubContext,
  io: Server,
  bus: EventBus,
  url: string,
  onGroupLeadership: () => Promise<unknown>,
): HubModule {
  const operators = io.of(OPERATORS_NAMESPACE);
  const agentsNsp = io.of(AGENTS_NAMESPACE);
  const registry = new NodeRegistry(
    url,
    { prefix: ctx.config.REDIS_PREFIX, node: ctx.state.node, heartbeatMs: 1000, ttlMs: ctx.config.NODE_TTL_MS, checkMs: 1000 },
    ctx.logger.child({ module: 'cluster' }),
    ({ node, agents }) => {
      const at = new Date(ctx.clock.now()).toISOString();
      for (const a of agents) {
        ctx.agents.applyRemote(a);
        agentsNsp.serverSideEmit('cluster:agent', a);
        // Broadcast through the adapter: every node's dashboard sees it once.
        operators.emit('agent:update', a);
        operators.emit('health:transition', { agentId: a.id, from: null, to: 'disconnected', reason: `hub node ${node} died`, at });
        void bus
          .publish('hub', { topic: `agent:${a.id}`, priority: 'high', payload: { type: 'health', agentId: a.id, to: 'disconnected', reason: `hub node ${node} died`, at } })
          .catch(() => undefined);
      }
    },
  );
  // Every node keeps a view of the others' agents (groups choose speakers across nodes with it).
  ctx.agents.on('update', (a) => {
    if (!ctx.agents.isLocal(a.id)) return;
    registry.putAgent(a);
    agentsNsp.serverSideEmit('cluster:agent', a);
  });
  agentsNsp.on('cluster:agent', (a: AgentInfo) => ctx.agents.applyRemote(a));
  ctx.cluster = {
    ok: () => registry.ok,
    nodes: () => registry.nodes(),
    agents: async () => mergeAgents(ctx.agents.list(), await registry.agents().catch(() => [])),
  };
  // One node at a time re-arms group timers (after a start, or when the previous holder died).
  const lease = new LeaderLease(url, `${ctx.config.REDIS_PREFIX}groups:leader`, ctx.state.node, ctx.config.NODE_TTL_MS, ctx.logger.child({ module: 'cluster' }), onGroupLeadership);
  return {
    name: 'cluster',
    async start() {
      await registry.start();
      for (const a of await registry.agents().catch(() => [])) ctx.agents.applyRemote(a);
      await lease.start();
    },
    async close() {
      await lease.close();
      await registry.close();
    },
  };
}

/** This node's live view wins for its own agents; the registry supplies everyone else's. */
function mergeAgents(local: AgentInfo[], shared: AgentInfo[]): AgentInfo[] {
  const byId = new Map(shared.map((a) => [a.id, a]));
  for (const a of local) {
    const other = byId.get(a.id);
    if (!other || a.connected || !other.connected) byId.set(a.id, a);
  }
  return [...byId.values()].sort((x, y) => x.id.localeCompare(y.id));
}
