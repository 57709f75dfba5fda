import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OPERATOR_SCOPES, OperatorScope, OperatorTokenName, type IssuedOperatorToken, type OperatorTokenInfo } from '@agent-hub/protocol';
import type { HubConfig } from '../config.ts';

/** Where the commands reach the hub, and the admin token they present. */
export interface HubLink {
  url: string;
  token: string;
}

/** A mistake in how a command was called (one line, exit code 2). */
export class TokenCommandError extends Error {}

/**
 * The hub this CLI is configured for: `--url`, else HOST and PORT; the token from `--token-file`,
 * else HUB_TOKEN, else DATA_DIR/operator-token (the built-in admin token).
 */
export async function hubLink(config: HubConfig, opts: { url?: string; tokenFile?: string }): Promise<HubLink> {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = (opts.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`).replace(/\/$/, '');
  const file = opts.tokenFile ?? (config.HUB_TOKEN ? undefined : path.join(config.DATA_DIR, 'operator-token'));
  let token = config.HUB_TOKEN ?? '';
  if (file) {
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new TokenCommandError(`cannot read the admin token from ${file}: ${(err as Error).message} (use --token-file or HUB_TOKEN)`);
    }
  }
  return { url, token };
}

export async function createToken(link: HubLink, name: string | undefined, scope: string | undefined): Promise<IssuedOperatorToken> {
  const n = OperatorTokenName.safeParse(name);
  if (!n.success)
    throw new TokenCommandError(
      `--name: ${name === undefined ? 'required' : `${JSON.stringify(name)} must be 1-64 letters, digits, "_", ".", "@" or "-"`}`,
    );
  const s = OperatorScope.safeParse(scope);
  if (!s.success)
    throw new TokenCommandError(
      `--scope: ${scope === undefined ? 'required' : JSON.stringify(scope)}; one of ${OPERATOR_SCOPES.join(', ')}`,
    );
  return call<IssuedOperatorToken>(link, 'POST', '/api/operators/tokens', { name: n.data, scope: s.data });
}

export async function listTokens(link: HubLink): Promise<OperatorTokenInfo[]> {
  return (await call<{ items: OperatorTokenInfo[] }>(link, 'GET', '/api/operators/tokens')).items;
}

export async function revokeToken(link: HubLink, idOrName: string | undefined): Promise<OperatorTokenInfo> {
  if (!idOrName) throw new TokenCommandError("tokens:revoke needs the credential's id or name");
  return call<OperatorTokenInfo>(link, 'POST', `/api/operators/tokens/${encodeURIComponent(idOrName)}/revoke`);
}

/** One line per credential: id, name, scope, created, and revoked when it is. */
export function formatTokenList(items: OperatorTokenInfo[]): string {
  const rows = items.map((t) => [
    t.id,
    t.name,
    t.scope,
    t.builtIn ? 'built-in' : `${t.createdAt} by ${t.createdBy}`,
    t.revokedAt ? `revoked ${t.revokedAt} by ${t.revokedBy}` : 'active',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 2));
  return rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n');
}

async function call<T>(link: HubLink, method: string, pathname: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(link.url + pathname, {
      method,
      headers: { authorization: `Bearer ${link.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Error(
      `cannot reach the hub at ${link.url}: ${(err as Error).cause ?? (err as Error).message} (is it running? --url sets where)`,
    );
  }
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) throw new Error(`${link.url}: ${res.status} ${json?.error?.code ?? ''}: ${json?.error?.message ?? 'no answer body'}`);
  return json as T;
}
