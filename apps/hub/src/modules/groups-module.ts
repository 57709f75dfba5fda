import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Server } from 'socket.io';
import { Counter, Histogram } from 'prom-client';
import {
  AGENTS_NAMESPACE,
  AddTask,
  AgentId,
  CompleteTask,
  CreateGroup,
  EndGroup,
  FailTask,
  GroupListQuery,
  GroupRef,
  GroupSpeak,
  GroupTaskAction,
  OperatorMessage,
  PickSpeaker,
  Uuid,
  type AgentRequestAnswer,
} from '@agent-hub/protocol';
import {
  GroupEngine,
  LlmSelector,
  uuidV7,
  type Actor,
  type EventBus,
  type GroupTransport,
  type LlmFallback,
  type SessionService,
  type SpeakerSelector,
} from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import { hubPublisher } from './hub-topics.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody, optionalBody, queryOf } from '../http/body.ts';
import { parseOrThrow } from '../errors.ts';
import { request } from '../sockets/handler.ts';
import { agentRoom, groupRoom } from '../sockets/rooms.ts';

export interface GroupsModuleDeps {
  bus: EventBus;
  sessions: SessionService;
  /** HealthMonitor's `replaced` event: the stand-in takes the failed agent's seat. */
  onReplaced: (fn: (p: { from: string; to: string }) => void) => void;
}

const OPERATOR: Actor = { kind: 'operator' };

/** The Socket.IO room of a group's members (rooms make it multi-node with the Redis adapter). */

/**
 * Group conversations over HTTP (operators) and the agents' sockets, one GroupEngine behind both.
 * Every change reaches the dashboard as `group:update` with the whole group view.
 */
export function groupsModule(ctx: HubContext, io: Server, deps: GroupsModuleDeps): HubModule & { engine: GroupEngine } {
  const log = ctx.logger.child({ module: 'groups' });
  const agents = io.of(AGENTS_NAMESPACE);
  const m = groupMetrics(ctx);

  const transport: GroupTransport = {
    grantTurn: (agentId, turn) => void agents.to(agentRoom(agentId)).emit('group:turn', turn),
    broadcast: (groupId, event, payload) => void agents.to(groupRoom(groupId)).emit(event, payload),
    joinRoom: (groupId, agentId) => agents.in(agentRoom(agentId)).socketsJoin(groupRoom(groupId)),
    leaveRoom: (groupId, agentId) => agents.in(agentRoom(agentId)).socketsLeave(groupRoom(groupId)),
    ended(groupId, reason) {
      agents.to(groupRoom(groupId)).emit('group:ended', { groupId, reason });
      agents.in(groupRoom(groupId)).socketsLeave(groupRoom(groupId));
    },
  };
  const llm = llmSelector(ctx, (f) => {
    m.llmFallbacks.inc({ reason: f.reason });
    log.warn({ groupId: f.groupId, reason: f.reason, detail: f.detail }, 'llm speaker selection fell back to round-robin');
  });
  const engine = new GroupEngine({
    transport,
    sessions: deps.sessions,
    // Turns and notices on `$hub:group:<id>` (and, for now, `group:<id>`).
    publish: hubPublisher(deps.bus, ctx.config.LEGACY_HUB_TOPICS),
    kv: ctx.store.kv,
    agentInfo: (id) => ctx.agents.get(id),
    clock: ctx.clock,
    newId: uuidV7,
    logger: log,
    selectors: llm ? { llm } : {},
    taskLeaseMs: ctx.config.GROUP_TASK_LEASE_MS,
  });
  engine.on('decision', (d) => m.decisions.inc({ outcome: d.outcome }));
  engine.on('selected', (s) => m.selection.observe({ strategy: s.strategy }, s.ms / 1000));
  ctx.agents.on('transition', (t) => engine.healthChanged(t.agentId, t.to));
  deps.onReplaced((p) => engine.replaced(p));

  return {
    name: 'groups',
    engine,
    // In a cluster the node holding the groups lease restores them (see cluster-module).
    start: async () => void (ctx.config.REDIS_URL ? undefined : await engine.restore()),
    close: () => engine.close(),
    onAgentRegistered: (_socket, agentId) => engine.agentOnline(agentId),

    api(api) {
      const r = new Hono<HttpEnv>();
      const id = (c: Context) => parseOrThrow(Uuid, c.req.param('id'));
      r.post('/', async (c) => c.json(await engine.create(await jsonBody(c, CreateGroup)), 201));
      r.get('/', async (c) => c.json({ items: await engine.list(queryOf(c, GroupListQuery)) }));
      r.get('/:id', async (c) => c.json(await engine.get(id(c))));
      r.post('/:id/end', async (c) => c.json(await engine.end(id(c), (await optionalBody(c, EndGroup)).reason)));
      r.post('/:id/pause', async (c) => c.json(await engine.pause(id(c))));
      r.post('/:id/resume', async (c) => c.json(await engine.resume(id(c))));
      r.post('/:id/next', async (c) => c.json(await engine.pick(id(c), (await jsonBody(c, PickSpeaker)).agentId)));
      r.post('/:id/messages', async (c) => c.json(await engine.operatorMessage(id(c), await jsonBody(c, OperatorMessage)), 201));
      r.get('/:id/tasks', async (c) => c.json(await engine.listTasks(id(c), OPERATOR)));
      r.post('/:id/tasks', async (c) => c.json(await engine.addTask(id(c), OPERATOR, await jsonBody(c, AddTask)), 201));
      r.post('/:id/tasks/:taskId/claim', async (c) => {
        const { agentId } = await jsonBody(c, z.object({ agentId: AgentId }));
        return c.json(await engine.claimTask(id(c), agentId, c.req.param('taskId')));
      });
      r.post('/:id/tasks/:taskId/extend', async (c) => {
        const { agentId } = await jsonBody(c, z.object({ agentId: AgentId }));
        return c.json(await engine.extendTask(id(c), agentId, c.req.param('taskId')));
      });
      r.post('/:id/tasks/:taskId/complete', async (c) => {
        const { result } = await optionalBody(c, CompleteTask);
        return c.json(await engine.completeTask(id(c), OPERATOR, c.req.param('taskId'), result));
      });
      r.post('/:id/tasks/:taskId/fail', async (c) => {
        const { error } = await jsonBody(c, FailTask);
        return c.json(await engine.failTask(id(c), OPERATOR, c.req.param('taskId'), error));
      });
      api.route('/groups', r);
    },

    agentEvents: {
      'group:join': request(GroupRef, ({ agentId, input }) => engine.join(input.groupId, agentId)),
      'group:leave': request(GroupRef, ({ agentId, input }) => engine.leave(input.groupId, agentId)),
      'group:speak': request(GroupSpeak, ({ agentId, input }) => engine.speak(agentId, input)),
      'group:task': request(GroupTaskAction, ({ agentId, input }): Promise<AgentRequestAnswer<'group:task'>> => {
        const actor: Actor = { kind: 'agent', id: agentId };
        switch (input.action) {
          case 'add':
            return engine.addTask(input.groupId, actor, { title: input.title, details: input.details });
          case 'claim':
            return engine.claimTask(input.groupId, agentId, input.taskId);
          case 'extend':
            return engine.extendTask(input.groupId, agentId, input.taskId);
          case 'complete':
            return engine.completeTask(input.groupId, actor, input.taskId, input.result);
          case 'fail':
            return engine.failTask(input.groupId, actor, input.taskId, input.error);
          case 'list':
            return engine.listTasks(input.groupId, actor);
        }
      }),
    },

    operatorFeed(nsp) {
      engine.on('update', (g) => nsp.emit('group:update', g));
      // A dashboard that connects mid-conversation starts from every live group.
      nsp.on('connection', (socket) => {
        engine.list().then(
          (groups) => groups.filter((g) => g.status !== 'ended').forEach((g) => socket.emit('group:update', g)),
          (err) => log.warn({ err: String(err) }, 'group snapshot for operator failed'),
        );
      });
    },
  };
}

/** The llm strategy exists only with a configured endpoint; otherwise creating such a group is CONFIG_INVALID. */
function llmSelector(ctx: HubContext, onFallback: (f: LlmFallback) => void): SpeakerSelector | undefined {
  const { llmEndpoints, LLM_TIMEOUT_MS } = ctx.config;
  if (Object.keys(llmEndpoints).length === 0) return undefined;
  return new LlmSelector({ endpoints: llmEndpoints, timeoutMs: LLM_TIMEOUT_MS, onFallback });
}

function groupMetrics(ctx: HubContext) {
  const registers = [ctx.metrics.registry];
  return {
    decisions: new Counter({
      name: 'agenthub_group_turn_decisions_total',
      help: 'Group turn decisions by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    selection: new Histogram({
      name: 'agenthub_group_speaker_selection_duration_seconds',
      help: 'Time to choose the next speaker in seconds, by strategy',
      labelNames: ['strategy'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 1, 30],
      registers,
    }),
    llmFallbacks: new Counter({
      name: 'agenthub_group_llm_fallbacks_total',
      help: 'LLM speaker selections that fell back to round-robin',
      labelNames: ['reason'],
      registers,
    }),
  };
}
