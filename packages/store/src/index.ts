export * as schema from './schema.ts';
export { SqlStore } from './sql/sql-store.ts';
export type { SqlDatabase } from './sql/sql-database.ts';
export { MIGRATIONS_FOLDER } from './sql/migrations-folder.ts';
export { RESET_TABLES_SQL } from './sql/reset-tables.ts';
export { MemoryStore } from '@agent-hub/core';
export {
  createPgliteClient,
  openPgliteStore,
  openPgliteStoreOn,
  PGLITE_IN_MEMORY,
  type PgliteStoreOptions,
} from './pglite/pglite-store.ts';
export { openPgliteStoreInWorker, openPgliteWorkerStoreOn, PgliteWorkerStore } from './pglite/pglite-worker-store.ts';
export { PgliteThread } from './pglite/pglite-thread.ts';
export { openPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.ts';
export { createTestDatabase, createTestDatabaseOrSkip, DEFAULT_TEST_DATABASE_URL, type TestDatabase } from './postgres/test-database.ts';
export { openStore, type OpenStoreOptions } from './open-store.ts';
export { toStoreError } from './store-unavailable.ts';
export { openRedisStore, RedisStore, type RedisStoreOptions } from './redis/redis-store.ts';
export { DEFAULT_REDIS_KEY_PREFIX } from './redis/redis-keys.ts';
export { createTestRedis, deleteKeysWithPrefix, redisOrSkip, DEFAULT_TEST_REDIS_URL, type TestRedis } from './redis/test-redis.ts';
export { openFileStore, FileStore, type FileStoreOptions } from './file/file-store.ts';
