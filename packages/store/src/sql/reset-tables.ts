import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../schema.ts';

/**
 * Empties every table of the schema in one statement: integration tests share one migrated
 * database per file and start each test from nothing.
 */
export const RESET_TABLES_SQL = `truncate ${Object.values(schema)
  .flatMap((t: unknown) => (is(t, PgTable) ? [`"${getTableName(t)}"`] : []))
  .join(', ')}`;
