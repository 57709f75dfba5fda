import type { AgentInfo, HealthTransition, LivenessReport, RecoveryStrategy } from '@agent-hub/protocol';
import type { AgentDirectory } from '../agents/agent-directory.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import type { DegradationController } from './degradation.ts';

/** How the monitor reaches agents (Socket.IO in the hub). */
export interface AgentControl {
  /**
   * Asks the agent for a liveness report on one connection (the one the directory holds for it);
   * rejects when that connection does not answer in time, or is gone.
   */
  probe(agentId: string, connectionId: string, timeoutMs: number): Promise<LivenessReport>;
  /** Asks a connected agent to restart its loop; runs the restart hook for a gone one. */
  restart(agentId: string, reason: string, connected: boolean): void;
}

export interface HealthSettings {
  livenessIntervalMs: number;
  livenessTimeoutMs: number;
  /** Consecutive failed probes before a suspect agent is a zombie. */
  zombieAfter: number;
  /** How long a recovery may take before the agent is marked failed. */
  recoveryTimeoutMs: number;
  /**
   * True while the hub itself has just been overloaded: an agent dropped then (its pong read too
   * late) is recovered as usual but not counted toward degraded mode, which is about agents failing.
   */
  hubOverloaded?: () => boolean;
  /**
   * Over how long (ms) a round of probes is spread once there are more agents than one slice
   * holds (PROBE_SLICE_AGENTS); default 0, all at once. An agent is then probed at most
   * `livenessIntervalMs + probeSpreadMs` apart instead of `livenessIntervalMs`.
   */
  probeSpreadMs?: number;
  /**
   * Probes per second this node sends at most, on average over a round (0 or unset: no bound).
   * A fleet larger than `maxProbesPerSecond * livenessIntervalMs / 1000` is probed less often
   * than every `livenessIntervalMs`: each round then lasts `agents / maxProbesPerSecond` seconds,
   * and is spread over half of that, so the probes' cost stays bounded however many agents come.
   */
  maxProbesPerSecond?: number;
}

/** Agents per slice of a spread probe round, and at most this many slices in a round of the interval. */
const PROBE_SLICE_AGENTS = 250;
const PROBE_SLICES = 10;

export interface HealthMonitorEvents {
  /** A recovery started (strategy chosen) for an agent. */
  recovery: [{ agentId: string; strategy: RecoveryStrategy; cause: string }];
  recovered: [{ agentId: string; ms: number }];
  failed: [{ agentId: string; cause: string }];
  /** `replace` picked a stand-in; sessions and groups move the seats. */
  replaced: [{ from: string; to: string }];
  /** Time from the agent's last sign of life to the hub noticing (ms). */
  detected: [{ agentId: string; kind: 'disconnect' | 'zombie'; ms: number }];
  /** The time between two liveness rounds changed (`roundMs`): the fleet grew past the probe budget, or shrank. */
  round: [{ agents: number; ms: number }];
}

/** Disconnect reasons that are a choice, not a failure. */
const CLEAN_REASONS = new Set(['client namespace disconnect', 'server namespace disconnect', 'server shutting down']);

/**
 * Watches agents beyond the heartbeat: probes liveness, names zombies, and runs each agent's
 * recovery strategy; every failure also feeds the degradation controller.
 */
export class HealthMonitor extends TypedEmitter<HealthMonitorEvents> {
  /** Consecutive failed probes per agent, counted for one connection: a new connection starts at 0. */
  private failedProbes = new Map<string, { connectionId: string; count: number }>();
  private recovering = new Map<string, { since: number; timer: TimerHandle }>();
  private timer: TimerHandle | null = null;
  private lastRoundMs: number;
  private unsubscribe: () => void;

  constructor(
    private readonly agents: AgentDirectory,
    private readonly control: AgentControl,
    private readonly degradation: DegradationController,
    private readonly clock: Clock,
    private readonly s: HealthSettings,
    private readonly log: Logger,
  ) {
    super();
    this.lastRoundMs = s.livenessIntervalMs;
    this.unsubscribe = agents.on('transition', (t) => this.onTransition(t));
  }

  start(): void {
    const tick = () => {
      const targets = this.agents.probeTargets();
      const round = this.roundMs(targets.length);
      void this.probeAll(targets, round);
      this.timer = this.clock.setTimeout(tick, round);
      this.timer.unref?.();
    };
    this.timer = this.clock.setTimeout(tick, this.s.livenessIntervalMs);
    this.timer.unref?.();
  }

  /**
   * Time (ms) from one liveness round to the next for a fleet of `agents`: `livenessIntervalMs`,
   * or longer when that would send more than `maxProbesPerSecond` probes a second. A change is
   * emitted as `round`, and logged when the rounds start or stop stretching.
   */
  private roundMs(agents: number): number {
    const max = this.s.maxProbesPerSecond ?? 0;
    const round = max > 0 ? Math.max(this.s.livenessIntervalMs, Math.ceil((agents / max) * 1000)) : this.s.livenessIntervalMs;
    if (round === this.lastRoundMs) return round;
    const stretched = round > this.s.livenessIntervalMs;
    if (stretched !== this.lastRoundMs > this.s.livenessIntervalMs)
      this.log.info(
        { agents, roundMs: round, livenessIntervalMs: this.s.livenessIntervalMs, maxProbesPerSecond: max },
        stretched
          ? 'liveness rounds stretched: more agents than the probe budget covers each interval'
          : 'liveness rounds back to the interval',
      );
    this.lastRoundMs = round;
    this.emit('round', { agents, ms: round });
    return round;
  }

  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const r of this.recovering.values()) this.clock.clearTimeout(r.timer);
    this.recovering.clear();
    this.unsubscribe();
  }

  /**
   * One liveness round: every local agent is probed once. A large fleet's round is spread over
   * `probeSpreadMs` in slices, so thousands of agents are not asked at the same instant (a burst
   * of probes, timers and answers that would stall the event loop every interval).
   */
  async probeAll(targets = this.agents.probeTargets(), round = this.roundMs(targets.length)): Promise<void> {
    // A stretched round is spread over half of its length, as a round of the interval is, and
    // keeps slices of PROBE_SLICE_AGENTS however large the fleet: the budget bounds the average,
    // the slices how many probes go out at once.
    const stretched = round > this.s.livenessIntervalMs;
    const spread = stretched ? Math.max(this.s.probeSpreadMs ?? 0, round / 2) : (this.s.probeSpreadMs ?? 0);
    const wanted = Math.ceil(targets.length / PROBE_SLICE_AGENTS);
    const slices = spread === 0 ? 1 : stretched ? wanted : Math.min(PROBE_SLICES, wanted);
    const rounds: Promise<void>[] = [];
    for (let k = 0; k < slices; k++) {
      const slice = targets.filter((_, i) => i % slices === k);
      const run = () => Promise.all(slice.map((t) => this.probe(t))).then(() => undefined);
      if (k === 0) rounds.push(run());
      else
        rounds.push(new Promise<void>((resolve) => this.clock.setTimeout(() => void run().then(resolve), (spread * k) / slices).unref?.()));
    }
    await Promise.all(rounds);
  }

  async probe(agent: { id: string }): Promise<void> {
    const connectionId = this.agents.connectionOf(agent.id);
    if (!connectionId) return;
    let report: LivenessReport;
    try {
      report = await this.control.probe(agent.id, connectionId, this.s.livenessTimeoutMs);
    } catch {
      report = { ok: false, detail: `no liveness answer within ${this.s.livenessTimeoutMs} ms` };
    }
    // The answer (or the silence) is about the connection the probe went out on. If the agent has
    // reconnected meanwhile, a probe stuck on the old, frozen connection says nothing about the new one.
    const health = this.agents.healthOn(agent.id, connectionId);
    if (health === null) return;
    if (report.ok) {
      // The common case, thousands of times a round: no copy of the agent's record.
      this.failedProbes.delete(agent.id);
      this.agents.seen(agent.id, true);
      if (health !== 'healthy') this.agents.setHealth(agent.id, 'healthy', 'liveness ok');
      return;
    }
    const current = this.agents.get(agent.id);
    if (!current?.connected) return;
    const before = this.failedProbes.get(agent.id);
    const n = (before?.connectionId === connectionId ? before.count : 0) + 1;
    this.failedProbes.set(agent.id, { connectionId, count: n });
    const why = report.detail ?? 'liveness check failed';
    if (n < this.s.zombieAfter) {
      if (current.health === 'healthy') this.agents.setHealth(agent.id, 'suspect', why);
      return;
    }
    if (current.health === 'zombie' || current.health === 'recovering') return;
    const lastAlive = current.lastLivenessAt ? Date.parse(current.lastLivenessAt) : Date.parse(current.connectedSince ?? '');
    this.emit('detected', { agentId: agent.id, kind: 'zombie', ms: this.clock.now() - lastAlive });
    this.agents.setHealth(agent.id, 'zombie', why);
  }

  private onTransition(t: HealthTransition): void {
    // Agents of other nodes are watched (and recovered) by their own node.
    if (!this.agents.isLocal(t.agentId)) return;
    if (t.to === 'healthy') return this.onHealthy(t.agentId);
    if (t.to === 'zombie') return this.startRecovery(t.agentId, 'zombie', true);
    if (t.to === 'disconnected') {
      this.failedProbes.delete(t.agentId);
      if (CLEAN_REASONS.has(t.reason)) return this.cancelRecovery(t.agentId);
      const a = this.agents.get(t.agentId);
      const lastSeen = a?.lastSeenAt ? Date.parse(a.lastSeenAt) : this.clock.now();
      this.emit('detected', { agentId: t.agentId, kind: 'disconnect', ms: this.clock.now() - lastSeen });
      this.startRecovery(t.agentId, `disconnected: ${t.reason}`, false);
    }
  }

  private startRecovery(agentId: string, cause: string, connected: boolean): void {
    const agent = this.agents.get(agentId);
    if (!agent || this.recovering.has(agentId)) return;
    if (this.s.hubOverloaded?.())
      this.log.warn({ agentId, cause }, 'agent failure while the hub was overloaded; not counted toward degraded mode');
    else this.degradation.recordFailure();
    const strategy = agent.recovery;
    this.emit('recovery', { agentId, strategy, cause });
    this.log.warn({ agentId, strategy, cause }, 'agent failure; recovering');
    if (strategy === 'alert') return;
    if (strategy === 'replace') return this.replace(agent, cause);
    const timer = this.clock.setTimeout(() => this.giveUp(agentId, cause), this.s.recoveryTimeoutMs);
    timer.unref?.();
    this.recovering.set(agentId, { since: this.clock.now(), timer });
    this.agents.setHealth(agentId, 'recovering', `restart: ${cause}`);
    this.control.restart(agentId, cause, connected);
  }

  private replace(agent: AgentInfo, cause: string): void {
    const candidates = this.agents
      .list()
      .filter(
        (a) => a.id !== agent.id && a.connected && a.health === 'healthy' && agent.capabilities.every((c) => a.capabilities.includes(c)),
      )
      .sort((x, y) => y.priority - x.priority || x.id.localeCompare(y.id));
    const stand = candidates[0];
    if (!stand) {
      this.agents.setHealth(agent.id, 'failed', `no healthy agent with capabilities [${agent.capabilities.join(', ')}] to replace it`);
      this.emit('failed', { agentId: agent.id, cause });
      return;
    }
    this.agents.setHealth(agent.id, 'failed', `replaced by ${stand.id}`);
    this.emit('replaced', { from: agent.id, to: stand.id });
  }

  private onHealthy(agentId: string): void {
    const r = this.recovering.get(agentId);
    if (!r) return;
    this.clock.clearTimeout(r.timer);
    this.recovering.delete(agentId);
    this.agents.countRecovery(agentId);
    this.emit('recovered', { agentId, ms: this.clock.now() - r.since });
  }

  private giveUp(agentId: string, cause: string): void {
    this.recovering.delete(agentId);
    this.agents.setHealth(agentId, 'failed', `not recovered within ${this.s.recoveryTimeoutMs} ms`);
    this.emit('failed', { agentId, cause });
  }

  private cancelRecovery(agentId: string): void {
    const r = this.recovering.get(agentId);
    if (r) this.clock.clearTimeout(r.timer);
    this.recovering.delete(agentId);
  }
}
