import type { AgentInfo, HealthState, HealthTransition, RecoveryStrategy, RegisterAgentParsed } from '@agent-hub/protocol';
import type { AgentStore } from '../ports/store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { OrderedEmitter } from '../ports/ordered-emitter.ts';
import { AgentRecordWriter } from './agent-record-writer.ts';

/**
 * Who announces a transition. `local`: this node saw it happen (its own agent, or an agent of a
 * dead node its reaper disconnected), so this node publishes it. `remote`: another node's report,
 * already published there; announcing it again would repeat it once per node.
 */
export type TransitionOrigin = 'local' | 'remote';

export interface AgentDirectoryEvents {
  /** The agent's record changed; `local` as for transitions (this node's agent, or one it reaped). */
  update: [AgentInfo, TransitionOrigin];
  removed: [{ id: string }];
  /** In the order they happen, also when a listener raises one while reacting to another. */
  transition: [HealthTransition, TransitionOrigin];
  /**
   * The agent connected on another node while an older connection of it was still open here:
   * this node's view is now the other node's, and the old connection is to be closed quietly
   * (as a node replaces an agent's stale socket of its own).
   */
  superseded: [{ agentId: string; node: string }];
}

interface LiveAgent {
  info: AgentInfo;
  connectionId: string | null;
  /** Epoch ms of the last packet; kept as a number because it changes on every packet. */
  lastSeenMs?: number;
  /** Epoch ms of the last good liveness answer (formatted only when read). */
  lastLivenessMs?: number;
}

/** What a liveness round needs of one local agent, without copying its whole record. */
export interface ProbeTarget {
  id: string;
  connectionId: string;
  health: HealthState;
}

export interface AgentDirectoryDeps {
  store: AgentStore;
  clock: Clock;
  node: string;
  defaultRecovery: RecoveryStrategy;
  log?: Logger;
}

/**
 * Who is connected to this node and in what health. The durable registry (name, capabilities)
 * goes to the store; live state stays here and is announced through events.
 */
export class AgentDirectory extends OrderedEmitter<AgentDirectoryEvents> {
  private agents = new Map<string, LiveAgent>();
  /** Agents served by other hub nodes, as those nodes last reported them. */
  private remote = new Map<string, AgentInfo>();

  private readonly records: AgentRecordWriter;

  constructor(private readonly deps: AgentDirectoryDeps) {
    super();
    this.records = new AgentRecordWriter(deps.store, deps.clock, (err, queued) =>
      deps.log?.warn({ err: String(err), queued }, 'agent records not stored yet; retrying'),
    );
  }

  /** A socket for `agentId` has authenticated; it is `connecting` until it registers. */
  connected(agentId: string, connectionId: string): void {
    const now = this.iso();
    this.remote.delete(agentId);
    const existing = this.agents.get(agentId);
    if (existing) {
      existing.connectionId = connectionId;
      existing.info.connected = true;
      existing.info.connectedSince = now;
      existing.info.lastSeenAt = now;
      existing.lastSeenMs = this.deps.clock.now();
      existing.info.node = this.deps.node;
      this.transition(existing, 'connecting', 'socket connected');
      return;
    }
    const info: AgentInfo = {
      id: agentId,
      name: agentId,
      capabilities: [],
      priority: 0,
      recovery: this.deps.defaultRecovery,
      health: 'connecting',
      connected: true,
      connectedSince: now,
      lastSeenAt: now,
      lastLivenessAt: null,
      recoveries: 0,
      degraded: null,
      node: this.deps.node,
      meta: {},
    };
    const live = { info, connectionId };
    this.agents.set(agentId, live);
    this.emit('transition', { agentId, from: null, to: 'connecting', reason: 'socket connected', at: now }, 'local');
    this.emit('update', { ...info }, 'local');
  }

  async register(agentId: string, reg: RegisterAgentParsed): Promise<AgentInfo> {
    const live = this.agents.get(agentId);
    if (!live) throw new Error(`register before connect: ${agentId}`);
    Object.assign(live.info, {
      name: reg.name,
      capabilities: reg.capabilities,
      priority: reg.priority,
      recovery: reg.recovery ?? this.deps.defaultRecovery,
      meta: reg.meta,
    });
    // Written behind the answer (batched, retried): the live directory is what serves the agent.
    this.records.write({
      id: agentId,
      name: reg.name,
      capabilities: reg.capabilities,
      priority: reg.priority,
      recovery: live.info.recovery,
      meta: reg.meta,
      registeredAt: this.deps.clock.now(),
    });
    this.transition(live, 'healthy', 'registered');
    return this.snapshot(live);
  }

  /** Writes the registry records still queued (a graceful stop calls this before closing the store). */
  drainRecords(): Promise<void> {
    return this.records.drain();
  }

  /** Only the agent's current connection may mark it disconnected (a newer one may have replaced it). */
  disconnected(agentId: string, connectionId: string, reason: string): boolean {
    const live = this.agents.get(agentId);
    if (!live || live.connectionId !== connectionId) return false;
    live.connectionId = null;
    live.info.connected = false;
    this.transition(live, 'disconnected', reason);
    return true;
  }

  setHealth(agentId: string, to: HealthState, reason: string): void {
    const live = this.agents.get(agentId);
    if (live) this.transition(live, to, reason);
  }

  seen(agentId: string, liveness = false): void {
    const live = this.agents.get(agentId);
    if (!live) return;
    live.lastSeenMs = this.deps.clock.now();
    if (liveness) live.lastLivenessMs = live.lastSeenMs;
  }

  /** This node's connected agents past `connecting`, for a liveness round (no snapshots). */
  probeTargets(): ProbeTarget[] {
    const out: ProbeTarget[] = [];
    for (const a of this.agents.values()) {
      if (a.connectionId && a.info.connected && a.info.health !== 'connecting')
        out.push({ id: a.info.id, connectionId: a.connectionId, health: a.info.health });
    }
    return out;
  }

  /** The health of a local agent on `connectionId`, or null if that is not its connection now. */
  healthOn(agentId: string, connectionId: string): HealthState | null {
    const live = this.agents.get(agentId);
    return live && live.connectionId === connectionId && live.info.connected ? live.info.health : null;
  }

  /** Marks (or clears, with null) the agent as degraded after a mostly failed replay. */
  setDegraded(agentId: string, reason: string | null): void {
    const live = this.agents.get(agentId);
    if (!live) return;
    live.info.degraded = reason;
    this.emit('update', this.snapshot(live), 'local');
  }

  countRecovery(agentId: string): void {
    const live = this.agents.get(agentId);
    if (!live) return;
    live.info.recoveries += 1;
    this.emit('update', this.snapshot(live), 'local');
  }

  remove(agentId: string): void {
    if (this.agents.delete(agentId)) this.emit('removed', { id: agentId });
  }

  /**
   * Another node's report about one of its agents. Ignored while the agent is connected here;
   * otherwise it becomes this node's view of the agent (its transition has origin `remote`).
   */
  applyRemote(info: AgentInfo): void {
    const live = this.agents.get(info.id);
    const newer = live?.connectionId && info.node && supersedes(info, info.node, live.info, this.deps.node);
    // Not our agent any more: forget the old connection here (no transition of ours: the agent
    // did not fail) and take the other node's view.
    if (newer) live.connectionId = null;
    this.adopt(info, `reported by ${info.node ?? 'another node'}`, 'remote');
    if (newer) this.emit('superseded', { agentId: info.id, node: info.node! });
  }

  /**
   * An agent of a dead node, marked disconnected by this node's reaper: its own node cannot
   * announce the transition any more, so this node does (once for the cluster).
   */
  reaped(info: AgentInfo, reason: string): void {
    this.adopt(info, reason, 'local');
  }

  /** True when the agent's connection is on this node (or it was last seen here). */
  isLocal(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  get(agentId: string): AgentInfo | null {
    const live = this.agents.get(agentId);
    if (live) return this.snapshot(live);
    const remote = this.remote.get(agentId);
    return remote ? { ...remote } : null;
  }

  connectionOf(agentId: string): string | null {
    return this.agents.get(agentId)?.connectionId ?? null;
  }

  /** Every agent this node knows: its own and, in a cluster, the other nodes'. */
  list(): AgentInfo[] {
    return [...this.listLocal(), ...[...this.remote.values()].map((a) => ({ ...a }))];
  }

  /** The agents whose connection is (or was last) on this node. */
  listLocal(): AgentInfo[] {
    return [...this.agents.values()].map((a) => this.snapshot(a));
  }

  /**
   * Visits this node's agents without copying them, for counts read every few seconds (metrics):
   * `listLocal` makes a snapshot of each (a copy and two timestamps), garbage by the thousand.
   */
  forEachLocal(visit: (agent: Readonly<AgentInfo>) => void): void {
    for (const a of this.agents.values()) visit(a.info);
  }

  private transition(live: LiveAgent, to: HealthState, reason: string): void {
    const from = live.info.health;
    live.info.health = to;
    // The record as this transition left it, before a listener moves the agent on (a recovery
    // starting on `disconnected`): other nodes learn of every step from these updates.
    const record = this.snapshot(live);
    if (from === to) return this.emit('update', record, 'local');
    this.emitPair('transition', [{ agentId: live.info.id, from, to, reason, at: this.iso() }, 'local'], 'update', [record, 'local']);
  }

  /** Takes another node's view of an agent, unless the agent is connected here. */
  private adopt(info: AgentInfo, reason: string, origin: TransitionOrigin): void {
    if (info.node === this.deps.node || this.agents.get(info.id)?.connectionId) return;
    const before = this.remote.get(info.id) ?? this.agents.get(info.id)?.info ?? null;
    this.agents.delete(info.id);
    this.remote.set(info.id, { ...info });
    if (before?.health !== info.health) {
      this.emit('transition', { agentId: info.id, from: before?.health ?? null, to: info.health, reason, at: this.iso() }, origin);
    }
    this.emit('update', { ...info }, origin);
  }

  private snapshot(live: LiveAgent): AgentInfo {
    const info = { ...live.info };
    if (live.lastSeenMs !== undefined) info.lastSeenAt = new Date(live.lastSeenMs).toISOString();
    if (live.lastLivenessMs !== undefined) info.lastLivenessAt = new Date(live.lastLivenessMs).toISOString();
    return info;
  }

  private iso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

/**
 * Whether `remote` (connected on `remoteNode`) is a later connection of the agent than `local`
 * (on `localNode`). Both nodes decide with the same stamps and the node ids as a tie-break, so
 * exactly one of two open connections yields.
 */
function supersedes(remote: AgentInfo, remoteNode: string, local: AgentInfo, localNode: string): boolean {
  if (!remote.connected || remoteNode === localNode || !remote.connectedSince || !local.connectedSince) return false;
  if (remote.connectedSince !== local.connectedSince) return remote.connectedSince > local.connectedSince;
  return remoteNode > localNode;
}
