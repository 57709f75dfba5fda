import { randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';
import { AGENTS_NAMESPACE, AgentId, DEFAULT_PROTOCOL_VERSION, RegisterAgent, SUPPORTED_PROTOCOL_VERSIONS } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { AgentCredential } from '../auth/agent-auth.ts';
import { noteFailedHandshake } from '../auth/sign-in-guard.ts';
import { mergeEventTables, request, serveAgentEvents, type AgentEventTable, type AgentNamespace, type AgentSocket } from './handler.ts';
import { notePacket } from './payload-limits.ts';
import { agentRoom } from './rooms.ts';

export interface AgentsNamespaceHooks {
  /** Per-connection set-up, before any event of the connection is handled (e.g. a token expiry timer). */
  onConnected?: (socket: AgentSocket) => void;
  /** After a successful `agent:register` ack is computed (e.g. to restore state, replay events). */
  onRegistered?: (socket: AgentSocket, agentId: string) => void;
  /** Every connection's end, current or replaced. */
  onClosed?: (socket: AgentSocket) => void;
  /** The end of the agent's current connection. */
  onDisconnected?: (socket: AgentSocket, agentId: string, reason: string) => void;
}

/** The agents namespace of `io`, typed with the protocol's event maps. */
export function agentsNamespaceOf(io: Server): AgentNamespace {
  return io.of(AGENTS_NAMESPACE) as unknown as AgentNamespace;
}

/**
 * The `/agents` namespace: authenticated by an agent token bound to the agent id. `tables` are
 * the capabilities' handlers (sessions, events, groups …), keyed by the protocol's event names.
 */
export function createAgentsNamespace(
  io: Server,
  ctx: HubContext,
  tables: AgentEventTable[],
  hooks: AgentsNamespaceHooks = {},
): AgentNamespace {
  const nsp = agentsNamespaceOf(io);
  const own: AgentEventTable = {
    'agent:register': request(
      RegisterAgent,
      async ({ socket, agentId, input }) => {
        const info = await ctx.agents.register(agentId, input);
        if (input.reconnect) ctx.metrics.reconnectDelay.observe(input.reconnect.afterMs / 1000);
        socket.data.registered = true;
        hooks.onRegistered?.(socket, agentId);
        return info;
      },
      { requireRegistered: false },
    ),
  };
  const table = mergeEventTables([own, ...tables]);

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
    // No version: what every client spoke before it was asked (2), not the current one.
    const protocol = auth.protocol ?? DEFAULT_PROTOCOL_VERSION;
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
    socket.data.liveBatches = protocol >= 3;
    socket.data.connectionId = randomUUID();
    const incoming = socket.handshake.headers['x-request-id'];
    socket.data.correlationId = typeof incoming === 'string' && incoming.length <= 128 ? incoming : socket.data.connectionId;
    socket.data.log = ctx.logger.child({ agentId: id.data, correlationId: socket.data.correlationId });
    next();
  });

  nsp.on('connection', (socket) => {
    const agentId = socket.data.agentId;
    ctx.metrics.socketsConnected.inc({ namespace: AGENTS_NAMESPACE });
    replacePreviousConnection(nsp, ctx, socket, agentId);
    void socket.join(agentRoom(agentId)); // in-memory adapter: synchronous; Redis: joined before any event reaches it
    ctx.agents.connected(agentId, socket.data.connectionId);
    socket.data.log.info({ transport: socket.conn.transport.name }, 'agent connected');
    hooks.onConnected?.(socket);
    serveAgentEvents(ctx, socket, table);

    // One listener per connection for every packet: the agent is alive, heartbeats are counted,
    // and a message's received size is kept for the payload cap.
    socket.conn.on('packet', (p: { type: string; data?: unknown }) => {
      ctx.agents.seen(agentId);
      if (p.type === 'pong') ctx.metrics.heartbeats.inc();
      else notePacket(socket, p);
    });

    socket.on('disconnect', (reason) => {
      ctx.metrics.socketsConnected.dec({ namespace: AGENTS_NAMESPACE });
      hooks.onClosed?.(socket);
      const current = ctx.agents.disconnected(agentId, socket.data.connectionId, reason);
      socket.data.log.info({ reason, current }, 'agent disconnected');
      if (current) hooks.onDisconnected?.(socket, agentId, reason);
    });
  });

  return nsp;
}

/** One live connection per agent id on a node: a reconnecting agent replaces its stale socket. */
function replacePreviousConnection(nsp: AgentNamespace, ctx: HubContext, socket: AgentSocket, agentId: string): void {
  if (!ctx.agents.connectionOf(agentId)) return;
  for (const s of localSocketsOf(nsp, agentId)) {
    if (s !== socket) {
      s.emit('hub:error', { code: 'AGENT_UNAUTHORIZED', message: 'replaced by a newer connection of the same agent' });
      s.disconnect(true);
    }
  }
}

/** This node's sockets of an agent, found through its `agent:<id>` room (no scan of every socket). */
export function localSocketsOf(nsp: AgentNamespace, agentId: string): AgentSocket[] {
  const ids = nsp.adapter.rooms.get(agentRoom(agentId));
  if (!ids) return [];
  return [...ids].flatMap((id) => nsp.sockets.get(id) ?? []);
}

function handshakeError(code: string, message: string, details?: unknown): Error {
  const err = new Error(code) as Error & { data: unknown };
  err.data = details === undefined ? { code, message } : { code, message, details };
  return err;
}
