import type { KeyValueStore, Logger } from '@agent-hub/core';
import { HubError } from '@agent-hub/protocol';

/** One revocation, as stored and as pushed to the other nodes. */
export type Revocation =
  /** One token, until it would have expired anyway. */
  | { kind: 'token'; jti: string; exp: number }
  /** Every token of the agent issued up to `at` (and its `ah1` tokens, which carry no issue time). */
  | { kind: 'agent'; agentId: string; at: number };

/** What a connection's credential says, enough to check it against the list. */
export interface Credential {
  agentId: string;
  /** Absent for `ah1` tokens. */
  jti?: string;
  iat?: number;
}

const KEY_PREFIX = 'auth:revoked:';

/**
 * Revoked agent tokens, held in memory so the connect path pays two map lookups, persisted in the
 * store's key-value space (every node and every restart sees them) and pruned once they cannot
 * matter: a token entry at its expiry, an agent entry when every v2 token it covers has expired
 * and `ah1` tokens (which never expire) are no longer accepted.
 */
export class AgentRevocations {
  private readonly tokens = new Map<string, number>();
  private readonly agents = new Map<string, number>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly opts: { maxTtlMs: number; legacyTokens: boolean; logger: Logger },
  ) {}

  isRevoked(c: Credential): boolean {
    if (c.jti !== undefined && this.tokens.has(c.jti)) return true;
    const at = this.agents.get(c.agentId);
    return at !== undefined && (c.iat === undefined || c.iat <= at);
  }

  /** Applies one locally (from this node's request, another node's push, or the store). */
  apply(r: Revocation): void {
    if (r.kind === 'token') this.tokens.set(r.jti, r.exp);
    else this.agents.set(r.agentId, Math.max(r.at, this.agents.get(r.agentId) ?? 0));
  }

  /** Persists one, then applies it (the caller pushes it to the other nodes). */
  async add(r: Revocation): Promise<void> {
    const key = KEY_PREFIX + (r.kind === 'token' ? `token:${r.jti}` : `agent:${r.agentId}`);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.kv.getValue<Revocation>(key);
      try {
        await this.kv.putValue(key, r, cur?.version ?? 0);
        break;
      } catch (err) {
        if (!HubError.is(err, 'VERSION_CONFLICT') || attempt >= 3) throw err;
      }
    }
    this.apply(r);
  }

  /** Loads every stored revocation (at start, and periodically in case a push was lost). */
  async load(): Promise<number> {
    const keys = await this.kv.listKeys(KEY_PREFIX);
    for (const key of keys) {
      const v = await this.kv.getValue<Revocation>(key);
      if (v) this.apply(v.value);
    }
    return keys.length;
  }

  /** Drops entries that can no longer refuse anything, here and in the store. */
  async prune(now: number): Promise<void> {
    const gone: string[] = [];
    for (const [jti, exp] of this.tokens) {
      if (exp >= now) continue;
      this.tokens.delete(jti);
      gone.push(`token:${jti}`);
    }
    if (!this.opts.legacyTokens) {
      for (const [id, at] of this.agents) {
        if (at + this.opts.maxTtlMs >= now) continue;
        this.agents.delete(id);
        gone.push(`agent:${id}`);
      }
    }
    for (const k of gone)
      await this.kv
        .deleteValue(KEY_PREFIX + k)
        .catch((err) => this.opts.logger.warn({ err: String(err) }, 'revocation not pruned from the store'));
  }

  get size(): number {
    return this.tokens.size + this.agents.size;
  }
}
