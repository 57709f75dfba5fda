import { createHash, randomBytes } from 'node:crypto';
import { HubError, type IssuedOperatorToken, type OperatorScope, type OperatorTokenInfo } from '@agent-hub/protocol';
import type { Clock, KeyValueStore } from '@agent-hub/core';
import { safeEqual } from './operator-token.ts';

/** Who is asking: the credential's id and name, and what it may do. */
export interface OperatorPrincipal {
  id: string;
  name: string;
  scope: OperatorScope;
}

/** The token made at first start (or HUB_TOKEN): always admin, named for the list and the audit log. */
export const BUILT_IN_NAME = 'admin';
const BUILT_IN_ID = 'built-in';
const KEY_PREFIX = 'operator-tokens:';
/** How long a verified credential is still accepted while the store cannot be read (a scraper keeps working through an outage). */
const OUTAGE_GRACE_MS = 15 * 60_000;
/** `aho1.<id>.<secret>`: the id finds the record without a scan; only the secret's hash is stored. */
const TOKEN = /^aho1\.([a-f0-9]{16})\.([A-Za-z0-9_-]{43})$/;

interface StoredCredential {
  id: string;
  name: string;
  scope: OperatorScope;
  /** SHA-256 of the whole token, hex. A 256-bit random secret needs no slow hash. */
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

/**
 * Named, scoped, revocable operator tokens kept (as hashes) in the store's key-value documents,
 * so every node sharing the store accepts them and a revocation is seen by every node on its
 * next request — nothing is cached.
 */
export class OperatorCredentials {
  /** The last store answer per credential id that accepted a token: used only while the store is unreachable. */
  private readonly lastAccepted = new Map<string, { hash: string; principal: OperatorPrincipal; at: number }>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly builtInToken: string,
    private readonly clock: Clock,
  ) {}

  /** The principal a bearer token stands for, or null when it is not (or no longer) accepted. */
  async authenticate(token: string): Promise<OperatorPrincipal | null> {
    if (safeEqual(token, this.builtInToken)) return { id: BUILT_IN_ID, name: BUILT_IN_NAME, scope: 'admin' };
    const m = TOKEN.exec(token);
    if (!m) return null;
    const hash = hashOf(token);
    let doc: { value: StoredCredential } | null;
    try {
      doc = await this.kv.getValue<StoredCredential>(KEY_PREFIX + m[1]);
    } catch (err) {
      // Store down: a token this node verified lately stays accepted for a while, anything else waits.
      const known = this.lastAccepted.get(m[1]!);
      if (known && safeEqual(hash, known.hash) && this.clock.now() - known.at < OUTAGE_GRACE_MS) return known.principal;
      throw err;
    }
    if (!doc || doc.value.revokedAt || !safeEqual(hash, doc.value.hash)) {
      this.lastAccepted.delete(m[1]!);
      return null;
    }
    const principal: OperatorPrincipal = { id: doc.value.id, name: doc.value.name, scope: doc.value.scope };
    this.lastAccepted.set(principal.id, { hash, principal, at: this.clock.now() });
    return principal;
  }

  async issue(name: string, scope: OperatorScope, by: string): Promise<IssuedOperatorToken> {
    if (name === BUILT_IN_NAME) throw new HubError('VALIDATION_FAILED', `"${BUILT_IN_NAME}" names the built-in token; choose another name`);
    const active = (await this.list()).filter((c) => !c.revokedAt && c.name === name);
    if (active.length)
      throw new HubError('VERSION_CONFLICT', `a credential named "${name}" exists; revoke it first or choose another name`, {
        id: active[0]!.id,
      });
    const id = randomBytes(8).toString('hex');
    const token = `aho1.${id}.${randomBytes(32).toString('base64url')}`;
    const rec: StoredCredential = {
      id,
      name,
      scope,
      hash: hashOf(token),
      createdAt: new Date(this.clock.now()).toISOString(),
      createdBy: by,
      revokedAt: null,
      revokedBy: null,
    };
    await this.kv.putValue(KEY_PREFIX + id, rec, 0);
    return { ...infoOf(rec), token };
  }

  /** Every credential, the built-in one first, then oldest first (revoked ones too, marked). */
  async list(): Promise<OperatorTokenInfo[]> {
    const keys = await this.kv.listKeys(KEY_PREFIX);
    const docs = await Promise.all(keys.map((k) => this.kv.getValue<StoredCredential>(k)));
    const stored = docs
      .flatMap((d) => (d ? [infoOf(d.value)] : []))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const builtIn: OperatorTokenInfo = {
      id: BUILT_IN_ID,
      name: BUILT_IN_NAME,
      scope: 'admin',
      createdAt: '',
      createdBy: 'first start',
      revokedAt: null,
      revokedBy: null,
      builtIn: true,
    };
    return [builtIn, ...stored];
  }

  /** Revokes by id or by name (an active credential's); answers the credential as revoked. */
  async revoke(idOrName: string, by: string): Promise<OperatorTokenInfo> {
    if (idOrName === BUILT_IN_ID || idOrName === BUILT_IN_NAME) {
      throw new HubError(
        'VALIDATION_FAILED',
        'the built-in admin token cannot be revoked here: change HUB_TOKEN or replace DATA_DIR/operator-token and restart',
      );
    }
    let doc = /^[a-f0-9]{16}$/.test(idOrName) ? await this.kv.getValue<StoredCredential>(KEY_PREFIX + idOrName) : null;
    if (!doc) {
      const match = (await this.list()).find((c) => !c.builtIn && !c.revokedAt && c.name === idOrName);
      doc = match ? await this.kv.getValue<StoredCredential>(KEY_PREFIX + match.id) : null;
    }
    if (!doc) throw new HubError('NOT_FOUND', `no operator credential "${idOrName}"`);
    if (doc.value.revokedAt) return infoOf(doc.value);
    const rec: StoredCredential = { ...doc.value, revokedAt: new Date(this.clock.now()).toISOString(), revokedBy: by };
    await this.kv.putValue(KEY_PREFIX + rec.id, rec, doc.version);
    this.lastAccepted.delete(rec.id);
    return infoOf(rec);
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function infoOf(rec: StoredCredential): OperatorTokenInfo {
  return {
    id: rec.id,
    name: rec.name,
    scope: rec.scope,
    createdAt: rec.createdAt,
    createdBy: rec.createdBy,
    revokedAt: rec.revokedAt,
    revokedBy: rec.revokedBy,
    builtIn: false,
  };
}
