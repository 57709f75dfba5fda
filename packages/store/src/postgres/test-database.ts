import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** The machine's PostgreSQL with trust auth; TEST_DATABASE_URL overrides it. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Connection URL of the fresh, empty database. */
  url: string;
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  // Test-only helper: the one place outside configuration that reads the environment.
  return process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
}

/** Creates a database of its own for one test file, so test files can run in parallel. */
export async function createTestDatabase(baseUrl: string = adminUrl()): Promise<TestDatabase> {
  const name = `agenthub_t_${randomBytes(6).toString('hex')}`;
  await asAdmin(baseUrl, (sql) => sql.unsafe(`create database ${name}`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => asAdmin(baseUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`)),
  };
}

/**
 * A test database, or null when PostgreSQL cannot be reached: then the caller skips its suite
 * with a loud warning, except under CI (CI=true), where an unreachable database is a failure.
 */
export async function createTestDatabaseOrSkip(suite: string): Promise<TestDatabase | null> {
  try {
    return await createTestDatabase();
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`\n!!! PostgreSQL unreachable (${reason}): SKIPPING ${suite}\n`);
    return null;
  }
}

async function asAdmin(baseUrl: string, run: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(baseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
