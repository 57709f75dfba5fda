import type { Namespace, Server } from 'socket.io';
import { OPERATORS_NAMESPACE } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import { safeEqual } from '../auth/operator-token.ts';

/** Adds a capability's live feed to the dashboard (snapshot on connect, then pushes). */
export type OperatorFeed = (nsp: Namespace, ctx: HubContext) => void;

/** The `/operators` namespace the dashboard listens on: pushed domain events, no polling. */
export function createOperatorsNamespace(io: Server, ctx: HubContext, feeds: OperatorFeed[] = []): Namespace {
  const nsp = io.of(OPERATORS_NAMESPACE);

  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || !safeEqual(token, ctx.operatorToken)) {
      ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'UNAUTHENTICATED' });
      const err = new Error('UNAUTHENTICATED') as Error & { data: unknown };
      err.data = { code: 'UNAUTHENTICATED', message: 'operator token required' };
      return next(err);
    }
    next();
  });

  nsp.on('connection', (socket) => {
    ctx.metrics.socketsConnected.inc({ namespace: OPERATORS_NAMESPACE });
    socket.emit('hub:status', ctx.state.status());
    if (ctx.cluster) void ctx.cluster.agents().then((list) => socket.emit('agents:snapshot', list), () => socket.emit('agents:snapshot', ctx.agents.list()));
    else socket.emit('agents:snapshot', ctx.agents.list());
    socket.on('disconnect', () => ctx.metrics.socketsConnected.dec({ namespace: OPERATORS_NAMESPACE }));
  });

  // Socket.IO encodes a broadcast before it looks for recipients: with no dashboard open anywhere
  // (one node, none connected) every agent update would be serialised for nobody.
  const watched = () => ctx.adapter.kind !== 'memory' || nsp.sockets.size > 0;
  // Only this node's own agents: with the Redis adapter the emit already reaches every node's dashboards.
  ctx.agents.on('update', (a) => watched() && ctx.agents.isLocal(a.id) && nsp.emit('agent:update', a));
  ctx.agents.on('removed', (p) => watched() && nsp.emit('agent:removed', p));
  // Only transitions this node saw (its agents', or those of a dead node it reaped): one per transition.
  ctx.agents.on('transition', (t, origin) => watched() && origin === 'local' && nsp.emit('health:transition', t));
  ctx.state.on('change', (s) => nsp.emit('hub:status', s));
  for (const feed of feeds) feed(nsp, ctx);
  return nsp;
}
