import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * The dialect-level Drizzle database both adapters hand to the SQL store: a PGlite and a
 * postgres.js database (and a transaction on either) are all this type, so one set of queries
 * serves every PostgreSQL backend.
 */
export type SqlDatabase = PgDatabase<PgQueryResultHKT>;

/** Matches the canonical text form PostgreSQL accepts for uuid columns. */
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A lookup by a malformed id finds nothing, like the memory store, instead of a uuid syntax error. */
export function isUuid(id: string): boolean {
  return UUID_TEXT.test(id);
}

/** Escapes LIKE metacharacters (`_` is legal in topic segments and keys) for `escape '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
