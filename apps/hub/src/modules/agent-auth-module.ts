import { Hono } from 'hono';
import type { Server } from 'socket.io';
import { RefreshAgentToken, RevokeAgentTokens } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import type { HttpEnv } from '../http/env.ts';
import { jsonBody } from '../http/body.ts';
import { request, type AgentSocket } from '../sockets/handler.ts';
import { agentsNamespaceOf } from '../sockets/agents-namespace.ts';
import type { AgentCredential } from '../auth/agent-auth.ts';
import type { Revocation } from '../auth/agent-revocations.ts';

/** Longest a Node timer can wait; a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Revocations are pushed through the adapter at once; this re-read of the store catches a lost push. */
const RESYNC_MS = 10_000;
const PRUNE_MS = 60 * 60_000;
const REVOKED_EVENT = 'auth:revoked';

/**
 * Agent credentials on live connections: a token's expiry closes its connection after
 * AGENT_TOKEN_GRACE_MS unless the agent sent a newer one (`auth:refresh`), and a revocation —
 * made on any node — closes the connections it covers on every node.
 */
export function agentAuthModule(ctx: HubContext, io: Server): HubModule {
  const nsp = agentsNamespaceOf(io);
  const log = ctx.logger.child({ module: 'auth' });
  const revocations = ctx.agentAuth.revocations;
  const expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const timers: ReturnType<typeof setInterval>[] = [];

  /** Final: the hub's `hub:error` then a namespace disconnect, which clients do not retry. */
  const end = (socket: AgentSocket, message: string) => {
    socket.data.log.info({ reason: message }, 'agent credential no longer valid; disconnecting');
    socket.emit('hub:error', { code: 'AGENT_UNAUTHORIZED', message });
    socket.disconnect(true);
  };

  const armExpiry = (socket: AgentSocket) => {
    clearTimeout(expiryTimers.get(socket.id));
    const exp = socket.data.credential.exp;
    if (exp === null) return void expiryTimers.delete(socket.id);
    const closeAt = exp + ctx.config.AGENT_TOKEN_GRACE_MS;
    const t = setTimeout(
      () => {
        if (ctx.clock.now() < closeAt) return armExpiry(socket);
        expiryTimers.delete(socket.id);
        end(socket, `token expired at ${new Date(exp).toISOString()} and was not refreshed`);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, closeAt - ctx.clock.now())),
    );
    t.unref();
    expiryTimers.set(socket.id, t);
  };

  const enforce = () => {
    for (const socket of nsp.sockets.values()) {
      const cred = socket.data.credential as AgentCredential | undefined;
      if (cred && revocations.isRevoked(cred)) end(socket, 'token revoked');
    }
  };

  return {
    name: 'agent-auth',
    async start() {
      await revocations.load();
      // Pushed by the node that took the revocation, through the Redis adapter when there is one.
      nsp.on(REVOKED_EVENT, (r: Revocation) => {
        revocations.apply(r);
        enforce();
      });
      timers.push(
        setInterval(() => {
          revocations.load().then(enforce, (err) => log.warn({ err: String(err) }, 'revocations not re-read from the store'));
        }, RESYNC_MS),
        setInterval(() => void revocations.prune(ctx.clock.now()), PRUNE_MS),
      );
      timers.forEach((t) => t.unref());
    },
    close() {
      timers.forEach(clearInterval);
      expiryTimers.forEach(clearTimeout);
      expiryTimers.clear();
    },
    api(api) {
      const r = new Hono<HttpEnv>();
      r.post('/tokens/revoke', async (c) => {
        const body = await jsonBody(c, RevokeAgentTokens);
        const now = ctx.clock.now();
        const revocation: Revocation = body.agentId
          ? { kind: 'agent', agentId: body.agentId, at: now }
          : // Kept until every token could have expired: the id alone does not say when this one does.
            { kind: 'token', jti: body.tokenId!, exp: now + ctx.config.AGENT_TOKEN_MAX_TTL_MS };
        await revocations.add(revocation);
        // One node (in-memory adapter): nobody else to tell, and the adapter would warn on stderr.
        if (ctx.adapter.kind === 'redis') nsp.serverSideEmit(REVOKED_EVENT, revocation);
        enforce();
        log.info({ kind: revocation.kind, agentId: body.agentId, tokenId: body.tokenId }, 'agent tokens revoked');
        return c.json({ revoked: revocation }, 200);
      });
      api.route('/agents', r);
    },
    onAgentConnected: armExpiry,
    onAgentClosed(socket) {
      clearTimeout(expiryTimers.get(socket.id));
      expiryTimers.delete(socket.id);
    },
    agentEvents: {
      // A newer token of the same agent, on the same connection: subscriptions and state stay.
      'auth:refresh': request(
        RefreshAgentToken,
        ({ socket, agentId, input }) => {
          const cred = ctx.agentAuth.verify(agentId, input.token, ctx.clock.now());
          socket.data.credential = cred;
          armExpiry(socket);
          return { expiresAt: cred.exp === null ? null : new Date(cred.exp).toISOString() };
        },
        { requireRegistered: false },
      ),
    },
  };
}
