// A child process's entry (plain JS, no loader needed) that creates a new PGlite database, applies
// the migrations and exits:
//   node pglite-initdb.mjs <folder> <json of extra start params> <migrations folder>
// PGlite's initdb (and migrating the empty database) grows its WASM memory by hundreds of MB, and
// that memory stays with the process — a worker thread's is not given back when the thread ends —
// so the database is made here and the store's worker then opens an existing one. A fresh hub
// held 885 MB RSS with initdb in a worker thread, 363 MB with it here.
// The migrations commit with fsync on, and what PGlite's initdb wrote with it off is synced before
// the exit, so the new database is on disk before the hub uses it (pglite-durable.mjs).
// Exit code 0 when the database is ready; the error on stderr otherwise.
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { durableStartParams, syncToDisk, syncTree } from './pglite-durable.mjs';

const [folder, extra, migrationsFolder] = process.argv.slice(2);
const client = await PGlite.create(folder, {
  startParams: [...durableStartParams(PGlite.defaultStartParams), ...JSON.parse(extra ?? '[]')],
});
syncToDisk(client);
await migrate(drizzle({ client }), { migrationsFolder });
await client.close();
syncTree(folder);
