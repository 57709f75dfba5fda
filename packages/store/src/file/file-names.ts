import { createHash } from 'node:crypto';

// Lower case only: on a case-insensitive file system 'Alpha' and 'alpha' would be one file.
const PLAIN = /^[a-z0-9_-]{1,128}$/;
const MAX_HEX_BYTES = 100;

/**
 * A file name (without extension) for a session id or key: itself when it is plainly safe (every
 * UUID is), hex of its UTF-8 otherwise, a hash when that would be too long. Each file also holds
 * its id or key, which is what loading trusts; the name only has to be unique.
 */
export function fileNameFor(key: string): string {
  if (PLAIN.test(key)) return key;
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length <= MAX_HEX_BYTES) return `~${bytes.toString('hex')}`;
  return `~~${createHash('sha256').update(bytes).digest('hex')}`;
}
