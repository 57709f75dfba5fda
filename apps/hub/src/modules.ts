import type { Server } from 'socket.io';
import type { HubContext } from './context.ts';
import type { HubModule } from './module.ts';
import { sessionsModule } from './modules/sessions-module.ts';
import { eventsModule } from './modules/events-module.ts';
import { healthModule } from './modules/health-module.ts';
import { groupsModule } from './modules/groups-module.ts';
import { RedisOffsets } from './cluster/redis-offsets.ts';
import { clusterModule } from './cluster/cluster-module.ts';

/** The capabilities this hub runs, in start order (closed in reverse). */
export function buildModules(ctx: HubContext, io: Server): HubModule[] {
  const sessions = sessionsModule(ctx);
  // Several nodes share one event log through Redis: offsets must be unique across them.
  const offsets = ctx.config.REDIS_URL ? new RedisOffsets(ctx.config.REDIS_URL, `${ctx.config.REDIS_PREFIX}event-offset`, ctx.logger) : undefined;
  const events = eventsModule(ctx, io, offsets);
  const health = healthModule(ctx, io, events.bus, sessions.service);
  const groups = groupsModule(ctx, io, { bus: events.bus, sessions: sessions.service, onReplaced: health.onReplaced });
  const cluster = ctx.config.REDIS_URL ? [clusterModule(ctx, io, events.bus, ctx.config.REDIS_URL, () => groups.engine.restore())] : [];
  return [sessions, events, health, groups, ...cluster];
}
