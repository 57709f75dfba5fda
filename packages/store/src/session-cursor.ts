import { HubError } from '@agent-hub/protocol';

/** Position after the last session of a page, in the listing order (updated_at desc, id desc). */
export interface SessionCursor {
  updatedAt: number;
  id: string;
}

export function encodeSessionCursor(c: SessionCursor): string {
  return Buffer.from(JSON.stringify([c.updatedAt, c.id])).toString('base64url');
}

export function decodeSessionCursor(cursor: string): SessionCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && Number.isFinite(parsed[0]) && typeof parsed[1] === 'string') {
      return { updatedAt: parsed[0] as number, id: parsed[1] };
    }
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw new HubError('VALIDATION_FAILED', 'invalid cursor', { cursor });
}

/** Listing order shared by every adapter: newest update first, ties by id descending. */
export function compareSessionsForListing(a: SessionCursor, b: SessionCursor): number {
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
