import type { Server } from 'socket.io';
import type { HubContext } from './context.ts';
import type { HubModule } from './module.ts';
import { sessionsModule } from './modules/sessions-module.ts';
import { eventsModule } from './modules/events-module.ts';
import { healthModule } from './modules/health-module.ts';
import { groupsModule } from './modules/groups-module.ts';

/** The capabilities this hub runs, in start order (closed in reverse). */
export function buildModules(ctx: HubContext, io: Server): HubModule[] {
  const sessions = sessionsModule(ctx);
  const events = eventsModule(ctx, io);
  const health = healthModule(ctx, io, events.bus, sessions.service);
  const groups = groupsModule(ctx, io, { bus: events.bus, sessions: sessions.service, onReplaced: health.onReplaced });
  return [sessions, events, health, groups];
}
