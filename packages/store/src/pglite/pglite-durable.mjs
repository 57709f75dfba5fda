// Makes a PGlite on a real folder flush its commits to disk, as PostgreSQL does.
//
// PGlite starts PostgreSQL with `-F` (fsync off), and the Emscripten file system it mounts the
// folder with (NODEFS) has no fsync: a commit's WAL reaches the OS with a pwrite and never the
// disk. An acknowledged write then survives the hub's crash but not the machine's (power loss,
// kernel panic), and a checkpoint that recycles WAL over data pages still in the OS cache can
// leave a database that does not start. Here fsync is turned back on, WAL flushes use fsync()
// (Emscripten maps it to the stream's `fsync`; its fdatasync does nothing), and NODEFS gets an
// `fsync` that calls the host's. Plain JavaScript: the initdb child process loads it without tsx.
import { closeSync, fsyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** fsync calls made by this thread's PGlite instances, for tests and diagnostics. */
export const syncCounts = { files: 0, folders: 0, folderFailures: 0 };

/**
 * PGlite's start parameters with fsync on: `defaults` (`PGlite.defaultStartParams`) without `-F`,
 * and WAL flushed with fsync().
 * @param {readonly string[]} defaults
 * @returns {string[]}
 */
export function durableStartParams(defaults) {
  return [...defaults.filter((p) => p !== '-F'), '-c', 'wal_sync_method=fsync'];
}

/**
 * Gives the PGlite's NODEFS an fsync that reaches the disk. Call right after `PGlite.create`,
 * before its first write. A PGlite whose internals no longer look as expected is refused, so an
 * upgrade cannot quietly turn durability off.
 * @param {unknown} client a PGlite on a folder
 */
export function syncToDisk(client) {
  const nodefs = /** @type {{ Module?: { NODEFS?: NodeFs } }} */ (client).Module?.NODEFS;
  if (!nodefs?.stream_ops || typeof nodefs.realPath !== 'function' || typeof nodefs.tryFSOperation !== 'function')
    throw new Error('this PGlite version has no NODEFS stream operations to give an fsync; durability cannot be ensured');
  const realPath = nodefs.realPath.bind(nodefs);
  // Host errors become the errno PostgreSQL expects (an exception of another kind would abort the
  // WASM module): a file that cannot be synced is then PostgreSQL's to handle (it stops rather
  // than risk the data), as on a real server.
  const asErrno = nodefs.tryFSOperation.bind(nodefs);
  nodefs.stream_ops.fsync = (stream) => {
    if (stream.nfd !== undefined) {
      asErrno(() => fsyncSync(/** @type {number} */ (stream.nfd)));
      syncCounts.files++;
      return 0;
    }
    // NODEFS keeps a host descriptor only for regular files: a folder (synced after a file in it
    // was created, renamed or removed) is opened on the host for the call.
    syncFolder(realPath(stream.node));
    return 0;
  };
}

/**
 * Syncs a folder's entries (a file made, renamed or removed in it) to disk. Some file systems
 * cannot open or sync a folder; PostgreSQL ignores that for folders, and so does this.
 * @param {string} folder
 */
export function syncFolder(folder) {
  try {
    syncPath(folder);
    syncCounts.folders++;
  } catch {
    syncCounts.folderFailures++;
  }
}

/**
 * Syncs every file and folder under `folder`, the folder last: what PGlite's own initdb wrote
 * with fsync off reaches the disk before the database is used.
 * @param {string} folder
 */
export function syncTree(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) {
      syncPath(path);
      syncCounts.files++;
    }
  }
  syncPath(folder);
  syncCounts.folders++;
}

/** @param {string} path */
function syncPath(path) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * @typedef {{ nfd?: number; node: unknown }} NodeFsStream
 * @typedef {{ stream_ops?: Record<string, unknown> & { fsync?: (stream: NodeFsStream) => number }; realPath?: (node: unknown) => string; tryFSOperation?: (op: () => unknown) => unknown }} NodeFs
 */
