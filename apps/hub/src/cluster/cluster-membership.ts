import type { AgentInfo } from '@agent-hub/protocol';
import type { AgentDirectory, Logger } from '@agent-hub/core';
import { NodeRegistry } from './node-registry.ts';
import { LeaderLease } from './leader-lease.ts';

/** What the edges (HTTP routes, probes, the operators socket) see of a cluster of hub nodes. */
export interface ClusterView {
  /** The shared registry in Redis answers. */
  ok(): boolean;
  nodes(): Promise<string[]>;
  /** Every agent of the cluster: this node's live view of its own, the registry's of the others'. */
  agents(): Promise<AgentInfo[]>;
  /** This node holds the group lease (one node reports cluster-wide figures and re-arms group timers). */
  leads(): boolean;
}

export interface ClusterMembershipSettings {
  url: string;
  prefix: string;
  node: string;
  ttlMs: number;
  agents: AgentDirectory;
  log: Logger;
}

/**
 * This node's place among several hub nodes on one Redis: the shared node and agent registry and
 * the group lease. Built by the composition root before any module, so the edges get the view at
 * construction; the cluster module starts and stops it (nothing touches Redis before then).
 */
export class ClusterMembership implements ClusterView {
  readonly registry: NodeRegistry;
  readonly lease: LeaderLease;
  private readonly directory: AgentDirectory;

  constructor(s: ClusterMembershipSettings) {
    this.directory = s.agents;
    this.registry = new NodeRegistry(s.url, { prefix: s.prefix, node: s.node, heartbeatMs: 1000, ttlMs: s.ttlMs, checkMs: 1000 }, s.log);
    this.lease = new LeaderLease(s.url, `${s.prefix}groups:leader`, s.node, s.ttlMs, s.log);
  }

  ok(): boolean {
    return this.registry.ok;
  }

  nodes(): Promise<string[]> {
    return this.registry.nodes();
  }

  leads(): boolean {
    return this.lease.isHolder;
  }

  async agents(): Promise<AgentInfo[]> {
    return mergeAgents(this.directory.list(), await this.registry.agents().catch(() => []));
  }
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
