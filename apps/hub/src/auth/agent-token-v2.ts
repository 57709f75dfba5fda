import { createHmac, randomUUID } from 'node:crypto';
import type { AgentPermissions } from '@agent-hub/protocol';
import type { AgentKeyRing } from './agent-keys.ts';
import { safeEqual } from './operator-token.ts';

/** What an `ah2` token says. Times are epoch milliseconds. */
export interface AgentTokenClaims {
  v: 2;
  kid: string;
  /** The agent id the token is bound to. */
  agent: string;
  /** Token id, for revoking one token. */
  jti: string;
  iat: number;
  exp: number;
  /** Publish / subscribe patterns; absent: everything. */
  pub?: string[];
  sub?: string[];
}

export type TokenCheck = { ok: true; claims: AgentTokenClaims } | { ok: false; reason: string };

const PREFIX = 'ah2.';

/**
 * Agent tokens v2: `ah2.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key[kid], "ah2.<claims>"))>`.
 * Stateless like `ah1` (any node holding the key verifies with one HMAC), but with an expiry, a
 * key id for rotation, a token id for revocation, and optional permissions.
 */
export class AgentTokensV2 {
  constructor(private readonly ring: AgentKeyRing) {}

  static isV2(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  issue(agentId: string, now: number, ttlMs: number, permissions?: AgentPermissions): AgentTokenClaims & { token: string } {
    const claims: AgentTokenClaims = { v: 2, kid: this.ring.signing.kid, agent: agentId, jti: randomUUID(), iat: now, exp: now + ttlMs };
    if (permissions?.publish) claims.pub = permissions.publish;
    if (permissions?.subscribe) claims.sub = permissions.subscribe;
    const body = PREFIX + Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { ...claims, token: `${body}.${mac(this.ring.signing.secret, body)}` };
  }

  /** Signature, key, agent and expiry (`now` past `exp` by more than `leewayMs` is expired). */
  verify(agentId: string, token: string, now: number, leewayMs = 0): TokenCheck {
    const dot = token.lastIndexOf('.');
    if (!token.startsWith(PREFIX) || dot <= PREFIX.length) return { ok: false, reason: 'malformed token' };
    const body = token.slice(0, dot);
    const claims = decodeClaims(body.slice(PREFIX.length));
    if (!claims) return { ok: false, reason: 'malformed token' };
    const secret = this.ring.keys.get(claims.kid);
    if (!secret) return { ok: false, reason: `signing key "${claims.kid}" is not (or no longer) accepted` };
    if (!safeEqual(token.slice(dot + 1), mac(secret, body))) return { ok: false, reason: 'bad signature' };
    if (claims.agent !== agentId) return { ok: false, reason: `token is not valid for agent "${agentId}"` };
    if (now > claims.exp + leewayMs) return { ok: false, reason: `token expired at ${new Date(claims.exp).toISOString()}` };
    return { ok: true, claims };
  }
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function decodeClaims(b64: string): AgentTokenClaims | null {
  try {
    const c = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8')) as Partial<AgentTokenClaims>;
    const list = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((p) => typeof p === 'string'));
    if (c.v !== 2 || typeof c.kid !== 'string' || typeof c.agent !== 'string' || typeof c.jti !== 'string') return null;
    if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || !list(c.pub) || !list(c.sub)) return null;
    return c as AgentTokenClaims;
  } catch {
    return null;
  }
}
