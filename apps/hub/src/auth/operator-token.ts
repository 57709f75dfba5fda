import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';

export interface Secret {
  value: string;
  /** True when it was made now (so the hub prints the dashboard URL once). */
  created: boolean;
}

/**
 * A configured secret, or one made at first start and kept in the data directory (mode 600), so
 * a restart keeps the same token.
 */
export async function loadOrCreateSecret(dataDir: string, file: string, configured?: string): Promise<Secret> {
  if (configured) return { value: configured, created: false };
  const p = path.join(dataDir, file);
  try {
    const value = (await readFile(p, 'utf8')).trim();
    if (value.length >= 16) return { value, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(24).toString('base64url');
  await writeFile(p, value + '\n', { mode: 0o600 });
  await chmod(p, 0o600);
  return { value, created: true };
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Extracts the token from `Authorization: Bearer <token>`. */
export function bearer(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1]!.trim() : null;
}
