import type {
  CreateGroupParsed,
  Group,
  GroupJoined,
  GroupSpoken,
  GroupStatus,
  GroupStrategy,
  GroupTask,
  HealthState,
  Priority,
  RotationEntry,
  SessionMessage,
  TaskSummary,
} from '@agent-hub/protocol';
import { GROUP_SIZE, HubError } from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { KeyValueStore } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import type { Actor, SessionService } from '../sessions/session-service.ts';
import { eligibleSpeakers, type AgentLookup } from './eligibility.ts';
import { checkMember, checkOpen, checkSize, checkTransitions, checkTurn, notMemberError, sizeError } from './group-checks.ts';
import { GroupDocuments, type Runtime } from './group-documents.ts';
import { newGroupState, recordDecision, removeSeat, renameSeat, toView, type GroupState } from './group-state.ts';
import { GroupTimers } from './group-timers.ts';
import { judgeHandoff } from './handoff.ts';
import type { GroupTransport } from './group-transport.ts';
import { CapabilitySelector } from './strategies/capability.ts';
import { ManualSelector } from './strategies/manual.ts';
import { PrioritySelector } from './strategies/priority.ts';
import { RoundRobinSelector, roundRobin } from './strategies/round-robin.ts';
import type { SpeakerSelector } from './strategies/speaker-selector.ts';
import * as taskQueue from './task-queue.ts';
import { runSelector, selectionContext } from './turn-selection.ts';
import { Effects, endGroup, grant, skip, spoken, withdraw, type TurnEnv } from './turns.ts';

/** The slice of SessionService the engine uses (the group's shared context lives in a session). */
export type GroupSessions = Pick<SessionService, 'create' | 'append' | 'get' | 'updateWith'>;

/** Publishes on the event bus (`EventBus.publish` bound to a publisher name). */
export type GroupPublish = (e: { topic: string; priority: Priority; payload: unknown }) => Promise<unknown>;

export interface GroupEngineDeps {
  transport: GroupTransport;
  sessions: GroupSessions;
  publish: GroupPublish;
  kv: KeyValueStore;
  agentInfo: AgentLookup;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  /** Extra or replacement selectors; `llm` exists only when an endpoint is configured. */
  selectors?: Partial<Record<GroupStrategy, SpeakerSelector>>;
  /** How long a task claim holds unless extended (default TASK_LEASE_DEFAULT_MS). */
  taskLeaseMs?: number;
}

export interface GroupEngineEvents {
  update: [Group];
  decision: [RotationEntry & { groupId: string }];
  selected: [{ groupId: string; strategy: GroupStrategy; ms: number }];
}

export type PickTiming = 'now' | 'next-turn' | 'on-resume';

const OPERATOR: Actor = { kind: 'operator' };
/** Health states that cost the current speaker its turn at once (suspect only bars new turns). */
const SKIP_TURN_ON = new Set<HealthState>(['disconnected', 'zombie', 'recovering', 'failed']);

/**
 * Group conversations: who is in, who speaks, and when it ends. One engine per hub node owns the
 * groups it has loaded; every change is a compare-and-set write of the whole group document
 * (`group:<id>`), done one at a time per group, and only after the write are agents told and
 * decisions published on `group:<id>`. Timers are derived from the committed state, so a new
 * engine restoring the same document carries on where the last one stopped.
 */
export class GroupEngine extends TypedEmitter<GroupEngineEvents> {
  private readonly docs: GroupDocuments;
  private readonly timers: GroupTimers;
  private readonly selectors: Partial<Record<GroupStrategy, SpeakerSelector>>;
  private readonly leaseMs: number;
  private selectionSeq = 0;
  private closed = false;

  constructor(private readonly d: GroupEngineDeps) {
    super();
    this.docs = new GroupDocuments(d.kv);
    this.leaseMs = d.taskLeaseMs ?? taskQueue.TASK_LEASE_DEFAULT_MS;
    this.timers = new GroupTimers(d.clock, d.logger, {
      turnExpired: (id, turnId) => this.turnExpired(id, turnId),
      groupExpired: (id) => this.groupExpired(id),
      leasesExpired: (id) => this.leasesExpired(id),
    });
    this.selectors = {
      'round-robin': new RoundRobinSelector(),
      priority: new PrioritySelector(),
      capability: new CapabilitySelector(),
      manual: new ManualSelector(d.clock),
      ...d.selectors,
    };
  }

  async create(input: CreateGroupParsed): Promise<Group> {
    const members = [...new Set(input.members)];
    checkSize(members.length);
    checkTransitions(members, input.allowedTransitions);
    const selector = this.selectors[input.strategy];
    if (!selector) {
      throw new HubError(
        'CONFIG_INVALID',
        `strategy "${input.strategy}" is not configured on this hub (set LLM_ENDPOINTS, or LLM_URL and LLM_MODEL)`,
      );
    }
    selector.checkSettings?.(input);
    const id = this.d.newId();
    const session = await this.d.sessions.create(OPERATOR, {
      members,
      metadata: { groupId: id },
      messages: input.prompt ? [{ role: 'operator', author: 'operator', content: input.prompt, metadata: { groupId: id } }] : [],
    });
    const state = newGroupState({ id, sessionId: session.id, input, members, now: this.d.clock.now() });
    return this.docs.serial(id, async () => {
      const rt = await this.docs.insert(state);
      const fx = new Effects();
      fx.notices.push({ event: 'created', members, strategy: state.strategy });
      for (const m of members) fx.after.push(() => this.d.transport.joinRoom(id, m));
      this.afterCommit(rt, fx);
      return this.view(rt);
    });
  }

  async get(id: string): Promise<Group> {
    return this.docs.serial(id, async () => this.view(await this.docs.load(id)));
  }

  async list(filter: { status?: GroupStatus } = {}): Promise<Group[]> {
    const views = await Promise.all((await this.docs.ids()).map((id) => this.get(id).catch(() => null)));
    return views
      .filter((g): g is Group => g !== null && (!filter.status || g.status === filter.status))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** An agent takes a seat (or retakes its own after a reconnect) and gets the shared context. */
  async join(groupId: string, agentId: string): Promise<GroupJoined> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      if (!rt.state.members.includes(agentId)) {
        if (rt.state.members.length >= GROUP_SIZE.max) throw sizeError(rt.state.members.length + 1);
        await this.addSessionMember(rt.state.sessionId, agentId);
        await this.mutate(rt, (d, fx) => {
          d.members.push(agentId);
          fx.notices.push({ event: 'joined', agentId });
        });
      }
      await this.d.transport.joinRoom(groupId, agentId);
      this.resendTurn(rt, agentId);
      const session = await this.d.sessions.get({ kind: 'agent', id: agentId }, rt.state.sessionId, true);
      return { group: this.view(rt), messages: session.messages };
    });
  }

  /** An agent gives up its seat; below two members the group ends. */
  async leave(groupId: string, agentId: string): Promise<Group> {
    return this.step(groupId, async (rt) => {
      checkMember(rt.state, agentId);
      await this.mutate(rt, (d, fx, env) => {
        if (d.current?.agentId === agentId) skip(d, fx, env, 'left the group');
        removeSeat(d, agentId);
        fx.notices.push({ event: 'left', agentId });
        fx.after.push(() => this.d.transport.leaveRoom(groupId, agentId));
        if (d.status !== 'ended' && d.members.length < GROUP_SIZE.min) endGroup(d, fx, env, `fewer than ${GROUP_SIZE.min} members`);
      });
      return this.view(rt);
    });
  }

  /** The turn holder's message: appended to the session as that agent, broadcast, then the next turn. */
  async speak(
    agentId: string,
    input: { groupId: string; turnId: string; content: string; metadata?: Record<string, unknown>; priority?: Priority; handoff?: string },
  ): Promise<GroupSpoken> {
    return this.step(input.groupId, async (rt) => {
      checkTurn(rt.state, agentId, input.turnId);
      const turn = rt.state.current!.turn;
      const { messages } = await this.d.sessions.append({ kind: 'agent', id: agentId }, rt.state.sessionId, undefined, [
        { role: 'agent', content: input.content, metadata: { ...input.metadata, groupId: input.groupId, turn } },
      ]);
      const message = messages[0]!;
      await this.mutate(rt, (d, fx, env) => {
        checkTurn(d, agentId, input.turnId);
        spoken(d, fx, env, message, input.priority ?? 'normal', input.handoff);
      });
      return { turn, message };
    });
  }

  /** An operator's message joins the shared context (role `operator`); it does not take a turn. */
  async operatorMessage(
    groupId: string,
    input: { content: string; author?: string; metadata?: Record<string, unknown> },
  ): Promise<SessionMessage> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      const { messages } = await this.d.sessions.append(OPERATOR, rt.state.sessionId, undefined, [
        { role: 'operator', author: input.author ?? 'operator', content: input.content, metadata: { ...input.metadata, groupId } },
      ]);
      const message = messages[0]!;
      this.d.transport.broadcast(groupId, 'group:message', { groupId, message });
      return message;
    });
  }

  /**
   * The operator chooses the next speaker, in any strategy, bypassing the throttle and the
   * transitions map. With no turn outstanding (the strategy is still choosing, or waiting for an
   * operator) it is granted at once; a turn in progress is not interrupted, the pick applies at
   * the turn boundary; a paused group grants it first on resume.
   */
  async pick(groupId: string, agentId: string): Promise<{ group: Group; appliesAt: PickTiming }> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      checkMember(rt.state, agentId);
      const appliesAt: PickTiming = rt.state.status === 'paused' ? 'on-resume' : rt.state.current ? 'next-turn' : 'now';
      this.stopSelecting(rt);
      await this.mutate(rt, (d, fx) => {
        d.pendingPick = agentId;
        fx.notices.push({ event: 'picked', agentId, appliesAt });
      });
      if (appliesAt === 'now') await this.grantPick(rt);
      return { group: this.view(rt), appliesAt };
    });
  }

  /** Stops the conversation now: the outstanding turn is withdrawn (its speaker is asked again on resume). */
  async pause(groupId: string): Promise<Group> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      if (rt.state.status === 'paused') return this.view(rt);
      this.stopSelecting(rt);
      await this.mutate(rt, (d, fx, env) => {
        withdraw(d, fx, env, 'turn withdrawn: group paused');
        d.status = 'paused';
        d.waiting = null;
        fx.notices.push({ event: 'paused' });
      });
      return this.view(rt);
    });
  }

  async resume(groupId: string): Promise<Group> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      if (rt.state.status === 'running') return this.view(rt);
      await this.mutate(rt, (d, fx) => {
        d.status = 'running';
        fx.notices.push({ event: 'resumed' });
      });
      return this.view(rt);
    });
  }

  async end(groupId: string, reason = 'ended by operator'): Promise<Group> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      await this.mutate(rt, (d, fx, env) => endGroup(d, fx, env, reason));
      return this.view(rt);
    });
  }

  async addTask(groupId: string, actor: Actor, input: { title: string; details?: string }): Promise<GroupTask> {
    return this.taskChange(groupId, actor, (d, at) => taskQueue.addTask(d.tasks, this.d.newId(), input, at));
  }

  /** The claim is a lease: it lapses `taskLeaseMs` from now unless the claimant extends it. */
  async claimTask(groupId: string, agentId: string, taskId: string): Promise<GroupTask> {
    return this.taskChange(groupId, { kind: 'agent', id: agentId }, (d, at, until) =>
      taskQueue.claimTask(d.tasks, taskId, agentId, at, until),
    );
  }

  /** The claimant is still working: its lease runs a full term from now. */
  async extendTask(groupId: string, agentId: string, taskId: string): Promise<GroupTask> {
    const actor: Actor = { kind: 'agent', id: agentId };
    return this.taskChange(groupId, actor, (d, at, until) => taskQueue.extendLease(d.tasks, taskId, actor, at, until));
  }

  async completeTask(groupId: string, actor: Actor, taskId: string, result?: unknown): Promise<GroupTask> {
    return this.taskChange(groupId, actor, (d, at) => taskQueue.completeTask(d.tasks, taskId, actor, result, at));
  }

  async failTask(groupId: string, actor: Actor, taskId: string, error: string): Promise<GroupTask> {
    return this.taskChange(groupId, actor, (d, at) => taskQueue.failTask(d.tasks, taskId, actor, error, at));
  }

  async listTasks(groupId: string, actor: Actor): Promise<{ items: GroupTask[]; summary: TaskSummary }> {
    const g = await this.get(groupId);
    if (actor.kind === 'agent' && !g.members.includes(actor.id)) throw notMemberError(groupId, actor.id);
    return { items: g.tasks, summary: g.taskSummary };
  }

  /** Feed of AgentDirectory transitions: a failed speaker loses its turn; a recovered member may get one. */
  healthChanged(agentId: string, health: HealthState): void {
    for (const rt of this.docs.loaded()) {
      const s = rt.state;
      if (s.status !== 'running' || !s.members.includes(agentId)) continue;
      if (s.current?.agentId === agentId && SKIP_TURN_ON.has(health)) {
        this.detach(s.id, () =>
          this.step(s.id, (r) =>
            this.mutate(r, (d, fx, env) => {
              if (d.current?.agentId === agentId) skip(d, fx, env, `speaker is ${health}`);
            }),
          ),
        );
      } else if (health === 'healthy') this.maybeAdvance(rt);
    }
  }

  /** HealthMonitor `replaced`: the stand-in takes the failed agent's seat, claims and, if it held one, its turn. */
  replaced(p: { from: string; to: string }): void {
    for (const rt of this.docs.loaded()) {
      if (rt.state.status === 'ended' || !rt.state.members.includes(p.from)) continue;
      const id = rt.state.id;
      this.detach(id, () =>
        this.step(id, async (r) => {
          if (!r.state.members.includes(p.from)) return;
          await this.addSessionMember(r.state.sessionId, p.to);
          await this.mutate(r, (d, fx, env) => {
            const held = d.current?.agentId === p.from;
            if (held) skip(d, fx, env, `replaced by ${p.to}`);
            renameSeat(d, p.from, p.to);
            taskQueue.reassignClaims(d.tasks, p.from, p.to);
            fx.notices.push({ event: 'replaced', from: p.from, to: p.to });
            fx.after.push(() => this.d.transport.joinRoom(id, p.to));
            fx.after.push(() => this.d.transport.leaveRoom(id, p.from));
            if (held && d.status === 'running' && this.d.agentInfo(p.to)?.health === 'healthy') {
              grant(d, fx, env, p.to, `takes the seat of ${p.from}`);
            }
          });
        }),
      );
    }
  }

  /**
   * An agent (re)registered: back into its rooms, and told again about a turn it holds. The turn
   * is read from the stored group, not this node's copy: after a failover the turn was often
   * granted by another node (maybe the dead one) since this node last looked. Groups this node
   * has not loaded, or has not seen the agent join, are the SDK's re-join (`group:join`) to cover.
   */
  agentOnline(agentId: string): void {
    for (const rt of this.docs.loaded()) {
      const id = rt.state.id;
      if (rt.state.status === 'ended' || !rt.state.members.includes(agentId)) continue;
      this.detach(id, () =>
        this.step(id, async (stored) => {
          if (stored.state.status === 'ended' || !stored.state.members.includes(agentId)) return;
          await this.d.transport.joinRoom(id, agentId);
          this.resendTurn(stored, agentId);
        }),
      );
    }
  }

  /**
   * Another hub node died: the timers it had armed for the groups it last wrote (turn deadline,
   * task leases, overall deadline) died with it, and this node's copies may predate its writes.
   * Re-reads every group and arms its timers from the stored document, re-granting nothing. A
   * timer re-checks the stored group when it fires, so a deadline also watched by another node is
   * still acted on once.
   */
  async rearm(): Promise<number> {
    let live = 0;
    for (const id of await this.docs.ids()) {
      await this.step(id, async (rt) => {
        if (rt.state.status === 'ended' || this.closed) return;
        live++;
        this.timers.sync(rt);
      }).catch((err) => this.d.logger.warn({ err: String(err), groupId: id }, 'group timers not re-armed'));
    }
    return live;
  }

  /** Loads every persisted group; running ones get their timers back and the current turn re-granted. */
  async restore(): Promise<number> {
    const ids = await this.docs.ids();
    let live = 0;
    for (const id of ids) {
      await this.step(id, async (rt) => {
        if (rt.state.status === 'ended') return;
        live++;
        for (const m of rt.state.members) this.detach(id, () => this.d.transport.joinRoom(id, m));
        if (!rt.state.current || rt.state.status !== 'running') return this.afterCommit(rt, new Effects());
        // Same turn id, so an answer already on its way still counts; a fresh deadline, since the outage was not the speaker's fault.
        await this.mutate(rt, (d, fx, env) => {
          const cur = d.current!;
          cur.deadlineAt = new Date(env.now + d.settings.turnTimeoutMs).toISOString();
          fx.decisions.push(recordDecision(d, cur.agentId, 'granted', 'restored after restart', iso(env.now), cur.turn));
          const payload = { groupId: id, turnId: cur.turnId, turn: cur.turn, deadlineAt: cur.deadlineAt };
          fx.after.push(() => this.d.transport.grantTurn(cur.agentId, payload));
        });
      });
    }
    this.d.logger.info({ groups: ids.length, live }, 'groups restored');
    return live;
  }

  /** Stops timers and selections; the persisted state is left as it is for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const rt of this.docs.loaded()) {
      this.stopSelecting(rt);
      this.timers.clear(rt);
    }
    await this.docs.drain();
  }

  // --- the turn loop -------------------------------------------------------------------------

  private maybeAdvance(rt: Runtime): void {
    const s = rt.state;
    if (this.closed || s.status !== 'running' || s.current || rt.selecting || rt.advanceQueued) return;
    rt.advanceQueued = true;
    this.detach(s.id, () => this.advance(s.id));
  }

  /** Chooses and grants the next turn. The selector runs outside the group's lock: speaks, picks and ends go on meanwhile. */
  private async advance(id: string): Promise<void> {
    const started = await this.step(id, async (rt) => {
      rt.advanceQueued = false;
      const s = rt.state;
      if (this.closed || s.status !== 'running' || s.current || rt.selecting) return null;
      if (s.pendingPick) {
        await this.grantPick(rt);
        return null;
      }
      const el = eligibleSpeakers(s, this.d.agentInfo);
      if (el.candidates.length === 0) {
        if (s.waiting !== el.none) await this.mutate(rt, (d) => void (d.waiting = el.none));
        return null;
      }
      const handoff = judgeHandoff(s, el, this.d.agentInfo);
      if (handoff?.accepted) {
        await this.mutate(rt, (d, fx, env) => grant(d, fx, env, handoff.to, `handoff from ${handoff.from}`, handoff));
        return null;
      }
      const controller = new AbortController();
      rt.selecting = { controller, token: ++this.selectionSeq };
      this.emit('update', this.view(rt));
      return { rt, token: rt.selecting.token, handoff, ctx: selectionContext(s, el.candidates, controller.signal, this.d.sessions) };
    });
    if (!started) return;
    const { rt, token, ctx, handoff } = started;
    const strategy = rt.state.strategy;
    const t0 = this.d.clock.now();
    const choice = await runSelector(this.selectors[strategy], strategy, ctx, this.d.logger);
    this.emit('selected', { groupId: id, strategy, ms: this.d.clock.now() - t0 });
    await this.step(id, async () => {
      // Superseded meanwhile: an operator pick, a pause or the end took over.
      if (rt.selecting?.token !== token) return;
      rt.selecting = null;
      const s = rt.state;
      if (s.status !== 'running' || s.current) return;
      if (s.pendingPick) return this.grantPick(rt);
      // Health may have changed while the selector thought: the grant goes by eligibility now.
      const now = eligibleSpeakers(s, this.d.agentInfo);
      if (now.candidates.length === 0) return this.mutate(rt, (d) => void (d.waiting = now.none));
      const stillEligible = now.candidates.some((c) => c.id === choice.agentId);
      const agentId = stillEligible
        ? choice.agentId
        : roundRobin({ seats: s.members, previousId: s.previousId, candidates: now.candidates });
      let reason = stillEligible ? choice.reason : `${choice.agentId} no longer eligible (round-robin)`;
      if (now.throttleWaived) reason += '; throttle waived: nobody else may speak';
      await this.mutate(rt, (d, fx, env) => {
        for (const t of now.throttled) fx.decisions.push(recordDecision(d, t.agentId, 'throttled', t.reason, iso(env.now), d.turn + 1));
        grant(d, fx, env, agentId, reason, handoff ?? undefined);
      });
    });
  }

  /** Grants the operator's pick; a pick of an agent that cannot speak now is dropped, with the reason recorded. */
  private async grantPick(rt: Runtime): Promise<void> {
    await this.mutate(rt, (d, fx, env) => {
      const agentId = d.pendingPick!;
      d.pendingPick = null;
      const health = this.d.agentInfo(agentId)?.health ?? 'unknown';
      if (!d.members.includes(agentId) || health !== 'healthy') {
        fx.decisions.push(recordDecision(d, agentId, 'skipped', `operator pick dropped: agent is ${health}`, iso(env.now), d.turn + 1));
        return;
      }
      const h = d.handoff;
      grant(d, fx, env, agentId, 'operator pick', h ? { ...h, accepted: false, reason: 'an operator pick came first' } : undefined);
    });
  }

  private stopSelecting(rt: Runtime): void {
    rt.selecting?.controller.abort();
    rt.selecting = null;
  }

  /** Re-sends the stored turn to its holder; `rt` must come from a step (the stored document). */
  private resendTurn(rt: Runtime, agentId: string): void {
    const cur = rt.state.current;
    if (rt.state.status !== 'running' || cur?.agentId !== agentId) return;
    // The node that granted the turn, and armed its deadline, may be the one that died.
    if (!this.closed) this.timers.sync(rt);
    this.d.transport.grantTurn(agentId, { groupId: rt.state.id, turnId: cur.turnId, turn: cur.turn, deadlineAt: cur.deadlineAt });
  }

  private async turnExpired(id: string, turnId: string): Promise<void> {
    await this.step(id, async (rt) => {
      if (rt.state.current?.turnId !== turnId) return;
      // Checked again on the draft: a write conflict re-applies this to a newer document.
      await this.mutate(rt, (d, fx, env) => {
        if (d.current?.turnId === turnId) skip(d, fx, env, `no message within ${d.settings.turnTimeoutMs} ms`);
      });
    });
  }

  /** The earliest lease deadline passed: claims not extended in time go back to the queue. */
  private async leasesExpired(id: string): Promise<void> {
    await this.step(id, async (rt) => {
      if (rt.state.status === 'ended') return;
      if (taskQueue.hasLapsed(rt.state.tasks, this.d.clock.now())) return this.mutate(rt, (d, fx, env) => this.reopenLapsed(d, fx, env));
      // Extended meanwhile (maybe through another node): watch the new earliest deadline.
      if (!this.closed) this.timers.sync(rt);
    });
  }

  /** Reopens every claim past its lease, each announced as a task change. */
  private reopenLapsed(d: GroupState, fx: Effects, env: TurnEnv): void {
    const until = iso(env.now + this.leaseMs);
    for (const task of taskQueue.expireLeases(d.tasks, env.now, iso(env.now), until)) {
      const log = { groupId: d.id, taskId: task.id, attempts: task.attempts };
      fx.notices.push({ event: 'task', task: { ...task }, reason: 'lease expired' });
      fx.after.push(() => this.d.logger.info(log, 'task lease ran out; back in the queue'));
    }
  }

  private async groupExpired(id: string): Promise<void> {
    await this.step(id, async (rt) => {
      if (rt.state.status === 'ended') return;
      await this.mutate(rt, (d, fx, env) => endGroup(d, fx, env, `timed out after ${d.settings.timeoutMs} ms`));
    });
  }

  // --- writes and their effects --------------------------------------------------------------

  /** Writes a change; agents are told and decisions published only once it is written. */
  private async mutate(rt: Runtime, change: (d: GroupState, fx: Effects, env: TurnEnv) => void): Promise<void> {
    const fx = await this.docs.commit(rt, (draft) => {
      const effects = new Effects();
      const env: TurnEnv = { now: this.d.clock.now(), newId: this.d.newId, transport: this.d.transport };
      change(draft, effects, env);
      draft.updatedAt = iso(env.now);
      return effects;
    });
    this.afterCommit(rt, fx);
  }

  private afterCommit(rt: Runtime, fx: Effects): void {
    const s = rt.state;
    if (s.status !== 'running') this.stopSelecting(rt);
    if (!this.closed) this.timers.sync(rt);
    const topic = `group:${s.id}`;
    for (const entry of fx.decisions) {
      this.emit('decision', { groupId: s.id, ...entry });
      this.publish({ topic, priority: 'normal', payload: { type: 'turn', groupId: s.id, ...entry } });
    }
    for (const notice of fx.notices) this.publish({ topic, priority: 'normal', payload: { type: 'group', groupId: s.id, ...notice } });
    for (const run of fx.after) {
      try {
        const r = run();
        if (r) r.catch((err) => this.d.logger.warn({ err: String(err), groupId: s.id }, 'group transport call failed'));
      } catch (err) {
        this.d.logger.warn({ err: String(err), groupId: s.id }, 'group transport call failed');
      }
    }
    this.emit('update', this.view(rt));
    this.maybeAdvance(rt);
  }

  /**
   * One task change. Lapsed claims are reopened first (in a write of their own, which stands even
   * if the change is refused), whether or not their timer has fired here — it may have been armed
   * on a node that died: an abandoned task can be claimed again at once, and its former holder can
   * no longer extend or finish it.
   */
  private async taskChange(
    groupId: string,
    actor: Actor,
    change: (d: GroupState, at: string, leaseUntil: string) => GroupTask,
  ): Promise<GroupTask> {
    return this.step(groupId, async (rt) => {
      checkOpen(rt.state);
      if (actor.kind === 'agent') checkMember(rt.state, actor.id);
      if (taskQueue.hasLapsed(rt.state.tasks, this.d.clock.now())) await this.mutate(rt, (d, fx, env) => this.reopenLapsed(d, fx, env));
      let task: GroupTask | undefined;
      await this.mutate(rt, (d, fx, env) => {
        this.reopenLapsed(d, fx, env);
        task = change(d, iso(env.now), iso(env.now + this.leaseMs));
        fx.notices.push({ event: 'task', task: { ...task } });
      });
      return task!;
    });
  }

  private async addSessionMember(sessionId: string, agentId: string): Promise<void> {
    await this.d.sessions.updateWith(OPERATOR, sessionId, (cur) => ({
      members: cur.members.includes(agentId) ? cur.members : [...cur.members, agentId],
    }));
  }

  private view(rt: Runtime): Group {
    const waiting = rt.selecting ? `choosing the next speaker (${rt.state.strategy})` : rt.state.waiting;
    return toView(rt.state, rt.version, waiting);
  }

  private publish(e: { topic: string; priority: Priority; payload: unknown }): void {
    // Offsets are assigned synchronously inside publish, so detached calls keep their order.
    this.d.publish(e).catch((err) => this.d.logger.warn({ err: String(err), topic: e.topic }, 'group decision not published'));
  }

  /** One step on one group (loaded if need be), after the steps queued before it. */
  private step<T>(id: string, fn: (rt: Runtime) => Promise<T>): Promise<T> {
    return this.docs.serial(id, async () => fn(await this.docs.load(id)));
  }

  private detach(id: string, fn: () => Promise<unknown> | unknown): void {
    Promise.resolve()
      .then(fn)
      .catch((err) => this.d.logger.error({ err, groupId: id }, 'group background step failed'));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
