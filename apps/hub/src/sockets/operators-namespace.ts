import type { DefaultEventsMap, Namespace, Server, Socket } from 'socket.io';
import {
  HubError,
  OPERATORS_NAMESPACE,
  scopeIncludes,
  type OperatorClientEvents,
  type OperatorScope,
  type OperatorServerEvents,
} from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import { noAudit, type AuditSink } from '../audit/audit-trail.ts';
import type { OperatorPrincipal } from '../auth/operator-credentials.ts';
import { handshakeRefusal } from '../auth/sign-in-guard.ts';

/** The scope each operator socket event needs; an event not listed needs `operate`. */
const OPERATOR_SOCKET_SCOPES: Record<string, OperatorScope> = { 'events:watch': 'read' };

/** Every socket signed in with one credential, so revoking it closes them on every node. */
export function credentialRoom(id: string): string {
  return `credential:${id}`;
}

/** What the hub keeps on a dashboard's connection (`socket.data`). */
export interface OperatorSocketData {
  operator: OperatorPrincipal;
  /** The client's address, for the audit trail. */
  source: string;
}

/** The dashboards' namespace, typed with the protocol's operator event maps. */
export type OperatorNamespace = Namespace<OperatorClientEvents, OperatorServerEvents, DefaultEventsMap, OperatorSocketData>;
export type OperatorSocket = Socket<OperatorClientEvents, OperatorServerEvents, DefaultEventsMap, OperatorSocketData>;

export function operatorsNamespaceOf(io: Server): OperatorNamespace {
  return io.of(OPERATORS_NAMESPACE) as unknown as OperatorNamespace;
}

/** Adds a capability's live feed to the dashboard (snapshot on connect, then pushes). */
export type OperatorFeed = (nsp: OperatorNamespace, ctx: HubContext) => void;

/** The `/operators` namespace the dashboard listens on: pushed domain events, no polling. */
export function createOperatorsNamespace(
  io: Server,
  ctx: HubContext,
  feeds: OperatorFeed[] = [],
  audit: AuditSink = noAudit,
): OperatorNamespace {
  const nsp = operatorsNamespaceOf(io);

  nsp.use((socket, next) => {
    authenticate(ctx, socket).then(
      () => next(),
      (err: unknown) => next(handshakeRefusal(HubError.is(err) ? err : new HubError('INTERNAL', 'sign-in failed'))),
    );
  });

  nsp.on('connection', (socket) => {
    ctx.metrics.socketsConnected.inc({ namespace: OPERATORS_NAMESPACE });
    const operator = socket.data.operator;
    void socket.join(credentialRoom(operator.id));
    socket.use((packet, next) => {
      const event = String(packet[0]).slice(0, 100);
      const needed = OPERATOR_SOCKET_SCOPES[event] ?? 'operate';
      const allowed = scopeIncludes(operator.scope, needed);
      const entry = { who: operator.name, scope: operator.scope, action: `socket ${event}`, source: socket.data.source };
      void audit.record({ ...entry, outcome: allowed ? 'ok' : 'FORBIDDEN', details: allowed ? undefined : { required: needed } });
      if (allowed) return next();
      const error = new HubError('FORBIDDEN', `this needs the "${needed}" scope; credential "${operator.name}" has "${operator.scope}"`, {
        required: needed,
        scope: operator.scope,
      }).toJSON();
      const ack = packet.at(-1);
      if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: false, error });
      else socket.emit('hub:error', error);
    });
    socket.emit('hub:status', ctx.state.status());
    if (ctx.cluster)
      void ctx.cluster.agents().then(
        (list) => socket.emit('agents:snapshot', list),
        () => socket.emit('agents:snapshot', ctx.agents.list()),
      );
    else socket.emit('agents:snapshot', ctx.agents.list());
    socket.on('disconnect', () => ctx.metrics.socketsConnected.dec({ namespace: OPERATORS_NAMESPACE }));
  });

  // Socket.IO encodes a broadcast before it looks for recipients: with no dashboard open anywhere
  // (one node, none connected) every agent update would be serialised for nobody.
  const watched = () => ctx.adapter.kind !== 'memory' || nsp.sockets.size > 0;
  // Only updates this node made (its own agents', or those of a dead node it reaped): with the Redis
  // adapter the emit already reaches every node's dashboards, once.
  ctx.agents.on('update', (a, origin) => watched() && origin === 'local' && nsp.emit('agent:update', a));
  ctx.agents.on('removed', (p) => watched() && nsp.emit('agent:removed', p));
  // Only transitions this node saw (its agents', or those of a dead node it reaped): one per transition.
  ctx.agents.on('transition', (t, origin) => watched() && origin === 'local' && nsp.emit('health:transition', t));
  ctx.state.on('change', (s) => nsp.emit('hub:status', s));
  for (const feed of feeds) feed(nsp, ctx);
  return nsp;
}

/** The handshake's `auth.token` must be a live operator credential, from an address not locked out. */
async function authenticate(ctx: HubContext, socket: OperatorSocket): Promise<void> {
  const source = ctx.signIns.socketAddress(socket);
  ctx.signIns.admit(source, 'socket', 'operator');
  const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
  const operator = typeof token === 'string' && token ? await ctx.operators.authenticate(token) : null;
  if (!operator) {
    ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'UNAUTHENTICATED' });
    if (typeof token === 'string' && token) ctx.signIns.failed(source, 'socket', 'operator');
    throw new HubError('UNAUTHENTICATED', 'operator token required');
  }
  socket.data.operator = operator;
  socket.data.source = source;
}
