import type { AgentInfo } from '@agent-hub/protocol';
import type { Server } from 'socket.io';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { ClusterMembership } from './cluster-membership.ts';
import type { DeadNode } from './node-registry.ts';
import { agentsNamespaceOf, localSocketsOf } from '../sockets/agents-namespace.ts';

/** The part of the offset allocator that learns which nodes are gone (RedisOffsets). */
export interface NodeOffsets {
  /** The node's uncommitted events will never exist: its in-flight ranges stop holding the watermark back. */
  releaseNode(node: string): Promise<number>;
  /** The same for every node not in `alive`. */
  releaseAbsentNodes(alive: string[]): Promise<number>;
}

export interface ClusterDeps {
  /** This node's registry and lease, built by the composition root (its view is `ctx.cluster`). */
  membership: ClusterMembership;
  offsets: NodeOffsets;
  onGroupLeadership: () => Promise<unknown>;
  /**
   * A node died (this node reaped it): the group timers it had armed are gone, and this node
   * arms them again from the stored groups. The groups lease moves only when its holder dies.
   */
  onNodeDied: () => Promise<unknown>;
}

/**
 * Several hub nodes on one Redis: a shared agent registry with per-node heartbeats. When a node
 * dies, a survivor marks its agents disconnected (dashboard and bus see it) and releases its
 * in-flight offsets; the agents reconnect to a surviving node on their own and resume from their
 * offsets.
 */
export function clusterModule(ctx: HubContext, io: Server, { membership, offsets, onGroupLeadership, onNodeDied }: ClusterDeps): HubModule {
  const log = ctx.logger.child({ module: 'cluster' });
  const agentsNsp = io.of(AGENTS_NAMESPACE);
  const { registry, lease } = membership;
  const onDeadNode = ({ node, agents }: DeadNode) => {
    offsets
      .releaseNode(node)
      .catch((err) => log.warn({ err: String(err), deadNode: node }, "could not release a dead node's offsets; the next sweep will"));
    for (const a of agents) {
      // This node (the one reaper) announces the transition and the update like its own: the
      // health module publishes it on agent:<id> and the dashboards get it, once for the cluster.
      ctx.agents.reaped(a, `hub node ${node} died`);
      agentsNsp.serverSideEmit('cluster:agent', a);
    }
    onNodeDied().catch((err) => log.warn({ err: String(err), deadNode: node }, "could not re-arm the dead node's group timers"));
  };
  // Every node keeps a view of the others' agents (groups choose speakers across nodes with it).
  ctx.agents.on('update', (a) => {
    if (!ctx.agents.isLocal(a.id)) return;
    registry.putAgent(a);
    agentsNsp.serverSideEmit('cluster:agent', a);
  });
  agentsNsp.on('cluster:agent', (a: AgentInfo) => ctx.agents.applyRemote(a));
  // The agent came back on another node while its old connection here was still open (a client
  // whose network dropped reaches a new node before this one's heartbeat notices): close the old
  // one as a node closes a stale socket of its own, and leave the agent's health to its new node.
  ctx.agents.on('superseded', ({ agentId, node }) => {
    for (const s of localSocketsOf(agentsNamespaceOf(io), agentId)) {
      s.emit('hub:error', { code: 'AGENT_UNAUTHORIZED', message: `replaced by a newer connection of the same agent on node ${node}` });
      s.disconnect(true);
    }
  });
  // Ranges of nodes that are no longer registered: left by a node that died while no survivor
  // was running, or whose release after a reap failed. Swept at start and every TTL. A node seen
  // registered in the previous round is spared once: it may be a clean stop still flushing its
  // last batch (it leaves the registry first and releases its own ranges when done).
  let lastAlive: string[] = [];
  const sweep = async () => {
    try {
      const alive = await registry.nodes();
      const n = await offsets.releaseAbsentNodes([...alive, ...lastAlive]);
      lastAlive = alive;
      if (n > 0) log.info({ ranges: n }, 'released in-flight offsets of nodes that are gone');
    } catch {
      // Redis away: swept again next round.
    }
  };
  let sweeper: ReturnType<typeof setInterval> | null = null;
  return {
    name: 'cluster',
    async start() {
      await registry.start(onDeadNode);
      await sweep();
      for (const a of await registry.agents().catch(() => [])) ctx.agents.applyRemote(a);
      // One node at a time restores the groups (after a start, or when the previous holder died).
      await lease.start(onGroupLeadership);
      sweeper = setInterval(() => void sweep(), ctx.config.NODE_TTL_MS);
      sweeper.unref();
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      await lease.close();
      await registry.close();
    },
  };
}
