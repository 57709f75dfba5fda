import { Counter, type Registry } from 'prom-client';
import type { AgentPermissions } from '@agent-hub/protocol';
import { HubError } from '@agent-hub/protocol';
import type { AgentTokens } from './agent-token.ts';
import { AgentTokensV2 } from './agent-token-v2.ts';
import type { AgentRevocations, Credential } from './agent-revocations.ts';
import type { Grants } from './agent-permissions.ts';

/** A verified connection credential: who, until when, allowed what. */
export interface AgentCredential extends Credential, Grants {
  /** Epoch ms; null for `ah1` tokens (they never expire). */
  exp: number | null;
}

export interface AgentAuthOptions {
  legacy: AgentTokens;
  v2: AgentTokensV2;
  revocations: AgentRevocations;
  /** Accept `ah1` tokens (LEGACY_AGENT_TOKENS). */
  acceptLegacy: boolean;
  defaultTtlMs: number;
  maxTtlMs: number;
  registry: Registry;
}

/**
 * Agent credentials, checked on every connect and refresh: an `ah2` token (signature, key id,
 * expiry, revocation) or, while still accepted, an `ah1` one (counted, to see who still uses them).
 * Cheap on purpose — one HMAC and two map lookups — since the connect rate is a rated figure.
 */
export class AgentAuth {
  private readonly legacyUsed: Counter;

  constructor(private readonly o: AgentAuthOptions) {
    this.legacyUsed = new Counter({
      name: 'agenthub_legacy_agent_tokens_total',
      help: 'Agent connections accepted with a legacy ah1 token (no expiry, no key id)',
      registers: [o.registry],
    });
  }

  get revocations(): AgentRevocations {
    return this.o.revocations;
  }

  issue(agentId: string, now: number, ttlMs: number | undefined, permissions?: AgentPermissions) {
    const ttl = ttlMs ?? this.o.defaultTtlMs;
    if (ttl > this.o.maxTtlMs)
      throw new HubError(
        'VALIDATION_FAILED',
        `ttlSeconds is above the hub's maximum of ${Math.floor(this.o.maxTtlMs / 1000)} s (AGENT_TOKEN_MAX_TTL_MS)`,
      );
    return this.o.v2.issue(agentId, now, ttl, permissions);
  }

  /** Throws AGENT_UNAUTHORIZED with the reason, or answers the credential. */
  verify(agentId: string, token: string, now: number): AgentCredential {
    const cred = this.check(agentId, token, now);
    if (this.o.revocations.isRevoked(cred)) throw new HubError('AGENT_UNAUTHORIZED', `token for agent "${agentId}" has been revoked`);
    return cred;
  }

  private check(agentId: string, token: string, now: number): AgentCredential {
    if (AgentTokensV2.isV2(token)) {
      const r = this.o.v2.verify(agentId, token, now);
      if (!r.ok) throw new HubError('AGENT_UNAUTHORIZED', r.reason);
      const c = r.claims;
      return { agentId, jti: c.jti, iat: c.iat, exp: c.exp, pub: c.pub, sub: c.sub };
    }
    if (this.o.acceptLegacy && this.o.legacy.verify(agentId, token)) {
      this.legacyUsed.inc();
      return { agentId, exp: null };
    }
    if (!this.o.acceptLegacy && token.startsWith('ah1.'))
      throw new HubError('AGENT_UNAUTHORIZED', 'ah1 agent tokens are no longer accepted (LEGACY_AGENT_TOKENS=false); get an ah2 token');
    throw new HubError('AGENT_UNAUTHORIZED', `token is not valid for agent "${agentId}"`);
  }
}
