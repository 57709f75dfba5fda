import { HubError } from '@agent-hub/protocol';

/** Position after the last session of a page, in the listing order (updated_at desc, id desc). */
export interface SessionCursor {
  updatedAt: number;
  id: string;
}

export function encodeSessionCursor(c: SessionCursor): string {
  return Buffer.from(JSON.stringify([c.updatedAt, c.id])).toString('base64url');
}

const MAX_DATE_MS = 8.64e15;
/** Session ids the hub makes are UUIDs; the non-SQL adapters also took other strings (tests). */
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function decodeSessionCursor(cursor: string): SessionCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Only what this module encodes: a time a Date can hold, and a session id (a UUID).
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isInteger(parsed[0]) &&
      Math.abs(parsed[0] as number) <= MAX_DATE_MS &&
      typeof parsed[1] === 'string' &&
      SESSION_ID.test(parsed[1])
    ) {
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
