import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../sql/migrations-folder.ts';
import { openPostgresStore } from './postgres-store.ts';
import { createTestDatabaseOrSkip } from './test-database.ts';

const database = await createTestDatabaseOrSkip('message fields migration');
const suite = database ? describe : describe.skip;
afterAll(async () => database?.drop());

/** The migrations as they were before tool-call messages and checkpoints (0000–0002). */
async function migrationsBefore0003(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agenthub-migrations-'));
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: Array<{ idx: number }> };
  journal.entries = journal.entries.filter((e) => e.idx <= 2);
  await writeFile(journalPath, JSON.stringify(journal));
  return dir;
}

suite('migrating a database from before tool-call messages (0003) and checkpoints (0004)', () => {
  it('reads messages stored before 0003 exactly as before, and takes tool calls and checkpoints after', async () => {
    const sql = postgres(database!.url, { max: 1, onnotice: () => {} });
    const oldMigrations = await migrationsBefore0003();
    const id = randomUUID();
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: oldMigrations });
      const at = '2030-01-01T00:00:00.000Z';
      await sql`insert into sessions (id, state, version, members, metadata, agent_state, message_count, created_at, updated_at, last_activity_at)
                values (${id}, 'active', 1, ${['alpha']}, '{}'::jsonb, '{}'::jsonb, 1, ${at}, ${at}, ${at})`;
      await sql`insert into session_messages (session_id, seq, role, author, content, metadata, created_at, message_id, session_version)
                values (${id}, 1, 'agent', 'alpha', 'from before', '{}'::jsonb, ${at}, 'old-1', 1)`;
    } finally {
      await sql.end({ timeout: 5 });
      await rm(oldMigrations, { recursive: true, force: true });
    }

    const store = await openPostgresStore({ url: database!.url, max: 2 });
    try {
      const [old] = await store.sessions.getMessages(id, 0, 10);
      expect(old).toEqual({
        seq: 1,
        id: 'old-1',
        role: 'agent',
        author: 'alpha',
        content: 'from before',
        metadata: {},
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      const calls = [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }];
      const appended = await store.sessions.appendMessages(
        id,
        1,
        [{ role: 'assistant', author: 'alpha', content: null, fields: { tool_calls: calls }, metadata: {} }],
        Date.UTC(2030, 0, 2),
      );
      expect(appended.messages[0]).toMatchObject({ seq: 2, content: null, tool_calls: calls });
      await store.checkpoints.putCheckpoint({
        threadId: 't',
        namespace: '',
        id: '1',
        parentId: null,
        checkpoint: { type: 'json', data: 'e30=' },
        metadata: {},
      });
      expect(await store.checkpoints.getCheckpoint('t', '')).toMatchObject({ id: '1', writes: [] });
    } finally {
      await store.close();
    }
  });
});
