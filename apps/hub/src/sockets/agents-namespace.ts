import { randomUUID } from 'node:crypto';
import type { Namespace, Server, Socket } from 'socket.io';
import { AGENTS_NAMESPACE, AgentId, PROTOCOL_VERSION, RegisterAgent, SUPPORTED_PROTOCOL_VERSIONS } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { AgentCredential } from '../auth/agent-auth.ts';
import { noteFailedHandshake } from '../auth/sign-in-guard.ts';
import { answerUnknownEvents, onCall } from './handler.ts';
import { trackPacketBytes } from './payload-limits.ts';

/** Adds a capability's socket handlers to every agent connection (sessions, events, groups …). */
export type AgentSocketMount = (socket: Socket, ctx: HubContext) => void;

export interface AgentsNamespaceHooks {
  /** After a successful `agent:register` ack is computed (e.g. to restore state, replay events). */
  onRegistered?: (socket: Socket, agentId: string) => void;
  onDisconnected?: (socket: Socket, agentId: string, reason: string) => void;
}

/** The `/agents` namespace: authenticated by an agent token bound to the agent id. */
export function createAgentsNamespace(
  io: Server,
  ctx: HubContext,
  mounts: AgentSocketMount[],
  hooks: AgentsNamespaceHooks = {},
): Namespace {
  const nsp = io.of(AGENTS_NAMESPACE);

  nsp.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const id = AgentId.safeParse(auth.agentId);
    const token = typeof auth.token === 'string' ? auth.token : '';
    if (!id.success || !token) {
      ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'UNAUTHENTICATED' });
      return next(handshakeError('UNAUTHENTICATED', 'handshake auth needs { agentId, token }'));
    }
    let credential: AgentCredential;
    try {
      credential = ctx.agentAuth.verify(id.data, token, ctx.clock.now());
    } catch (err) {
      ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'AGENT_UNAUTHORIZED' });
      noteFailedHandshake(ctx, socket, 'agent');
      return next(handshakeError('AGENT_UNAUTHORIZED', err instanceof Error ? err.message : `token is not valid for agent "${id.data}"`));
    }
    const protocol = auth.protocol ?? PROTOCOL_VERSION;
    if (typeof protocol !== 'number' || !SUPPORTED_PROTOCOL_VERSIONS.includes(protocol)) {
      ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'PROTOCOL_UNSUPPORTED' });
      return next(
        handshakeError(
          'PROTOCOL_UNSUPPORTED',
          `protocol ${JSON.stringify(protocol)} is not supported; this hub speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
          {
            supported: SUPPORTED_PROTOCOL_VERSIONS,
          },
        ),
      );
    }
    if (ctx.state.phase === 'shutting-down') return next(handshakeError('HUB_SHUTTING_DOWN', 'hub is shutting down'));
    socket.data.agentId = id.data;
    socket.data.credential = credential;
    socket.data.connectionId = randomUUID();
    const incoming = socket.handshake.headers['x-request-id'];
    socket.data.correlationId = typeof incoming === 'string' && incoming.length <= 128 ? incoming : socket.data.connectionId;
    socket.data.log = ctx.logger.child({ agentId: id.data, correlationId: socket.data.correlationId });
    next();
  });

  nsp.on('connection', (socket) => {
    const agentId: string = socket.data.agentId;
    ctx.metrics.socketsConnected.inc({ namespace: AGENTS_NAMESPACE });
    replacePreviousConnection(nsp, ctx, socket, agentId);
    void socket.join(`agent:${agentId}`); // in-memory adapter: synchronous; Redis: joined before any event reaches it
    ctx.agents.connected(agentId, socket.data.connectionId);
    socket.data.log.info({ transport: socket.conn.transport.name }, 'agent connected');

    onCall(
      ctx,
      socket,
      'agent:register',
      RegisterAgent,
      async ({ input }) => {
        const info = await ctx.agents.register(agentId, input);
        if (input.reconnect) ctx.metrics.reconnectDelay.observe(input.reconnect.afterMs / 1000);
        socket.data.registered = true;
        hooks.onRegistered?.(socket, agentId);
        return info;
      },
      { requireRegistered: false },
    );

    for (const mount of mounts) mount(socket, ctx);
    answerUnknownEvents(ctx, socket);

    socket.conn.on('packet', () => ctx.agents.seen(agentId));
    trackPacketBytes(socket);

    socket.on('disconnect', (reason) => {
      ctx.metrics.socketsConnected.dec({ namespace: AGENTS_NAMESPACE });
      const current = ctx.agents.disconnected(agentId, socket.data.connectionId, reason);
      socket.data.log.info({ reason, current }, 'agent disconnected');
      if (current) hooks.onDisconnected?.(socket, agentId, reason);
    });
  });

  return nsp;
}

/** One live connection per agent id on a node: a reconnecting agent replaces its stale socket. */
function replacePreviousConnection(nsp: Namespace, ctx: HubContext, socket: Socket, agentId: string): void {
  if (!ctx.agents.connectionOf(agentId)) return;
  for (const s of localSocketsOf(nsp, agentId)) {
    if (s !== socket) {
      s.emit('hub:error', { code: 'AGENT_UNAUTHORIZED', message: 'replaced by a newer connection of the same agent' });
      s.disconnect(true);
    }
  }
}

/** This node's sockets of an agent, found through its `agent:<id>` room (no scan of every socket). */
export function localSocketsOf(nsp: Namespace, agentId: string): Socket[] {
  const ids = nsp.adapter.rooms.get(`agent:${agentId}`);
  if (!ids) return [];
  return [...ids].flatMap((id) => nsp.sockets.get(id) ?? []);
}

function handshakeError(code: string, message: string, details?: unknown): Error {
  const err = new Error(code) as Error & { data: unknown };
  err.data = details === undefined ? { code, message } : { code, message, details };
  return err;
}
