import type { Server } from 'socket.io';
import type { HubContext } from './context.ts';
import type { HubModule } from './module.ts';
import { sessionsModule } from './modules/sessions-module.ts';
import { checkpointsModule } from './modules/checkpoints-module.ts';
import { eventsModule } from './modules/events-module.ts';
import { healthModule } from './modules/health-module.ts';
import { groupsModule } from './modules/groups-module.ts';
import { metricsHistoryModule } from './modules/metrics-history-module.ts';
import { RedisOffsets } from './cluster/redis-offsets.ts';
import { clusterModule } from './cluster/cluster-module.ts';
import type { ClusterMembership } from './cluster/cluster-membership.ts';
import { agentAuthModule } from './modules/agent-auth-module.ts';
import type { LoadGate } from './sockets/load-gate.ts';
import { AuditTrail } from './audit/audit-trail.ts';
import { operatorAccessModule } from './modules/operator-access-module.ts';

/** The capabilities this hub runs, in start order (closed in reverse), and the audit log the HTTP guard and the operators socket write to. */
export interface BuiltModules {
  modules: HubModule[];
  audit: AuditTrail;
}

/** `membership`: this node's place in the cluster (with REDIS_URL), built by the composition root; the cluster module runs it. */
export function buildModules(ctx: HubContext, io: Server, gate: LoadGate, membership?: ClusterMembership): BuiltModules {
  const sessions = sessionsModule(ctx);
  // Several nodes share one event log through Redis: offsets must be unique across them, and the
  // cluster needs one committed watermark.
  const url = ctx.config.REDIS_URL;
  const offsets = url
    ? new RedisOffsets({
        url,
        key: `${ctx.config.REDIS_PREFIX}event-offset`,
        node: ctx.state.node,
        logMax: () => ctx.store.events.maxOffset(),
        // Long enough for every live node to notice a Redis restart and re-add its ranges.
        resetHoldMs: ctx.config.NODE_TTL_MS + 1000,
        logger: ctx.logger.child({ module: 'offsets' }),
        clock: ctx.clock,
      })
    : undefined;
  const events = eventsModule(ctx, io, { offsets, gate });
  const health = healthModule(ctx, io, events.bus, sessions.service, gate);
  const groups = groupsModule(ctx, io, { bus: events.bus, sessions: sessions.service, onReplaced: health.onReplaced });
  const cluster =
    membership && offsets
      ? [
          clusterModule(ctx, io, {
            membership,
            offsets,
            onGroupLeadership: () => groups.engine.restore(),
            onNodeDied: () => groups.engine.rearm(),
          }),
        ]
      : [];
  const audit = new AuditTrail(events.bus, () => ctx.clock.now(), ctx.logger.child({ module: 'audit' }));
  const modules = [
    agentAuthModule(ctx, io),
    sessions,
    events,
    health,
    groups,
    ...cluster,
    metricsHistoryModule(ctx),
    operatorAccessModule(ctx, io),
    checkpointsModule(ctx),
  ];
  return { modules, audit };
}
