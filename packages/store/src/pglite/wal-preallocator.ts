import { linkSync, unlinkSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { syncFolder } from './pglite-durable.mjs';
import { UpkeepTask } from './upkeep-task.ts';

/**
 * PostgreSQL makes each new WAL segment (16 MB) inside the commit that first needs it: it writes
 * the whole file with zeros and syncs it before the commit can go on. In PGlite that runs on the
 * store's thread, 8 KB at a time through the WASM file system: one commit in ~30,000 events took
 * 20–70 ms here, and every publish waiting on it or queued behind it waited as long. A server
 * avoids most of it by recycling: a checkpoint renames old segments to future names. PGlite's
 * first checkpoint comes after 256 MB of WAL (WalCheckpointer), so a new database made sixteen
 * segments in commits before any was recycled.
 *
 * This makes the next segments before PostgreSQL needs them: the zeros are written and synced by
 * libuv's thread pool, off the store's thread, into a temporary file; then, on the store's thread
 * (so between two of PostgreSQL's calls, never inside one), the file is linked under the segment's
 * name and the folder synced. PostgreSQL opens a segment that exists instead of making it, as it
 * does with recycled ones; `link` fails rather than replace a segment PostgreSQL made meanwhile.
 */
export interface WalPreallocSettings {
  /** Segments kept ready beyond the one being written (2: 32 MB, ~6 s of WAL at 10,000 events/s). */
  ahead: number;
  /** How often the WAL position is read (1 s). */
  checkEveryMs: number;
}

export const WAL_PREALLOC_DEFAULTS: WalPreallocSettings = { ahead: 2, checkEveryMs: 1_000 };

/** After a failure (a full disk, say), the next attempt waits this long: not 16 MB of writes a second. */
const RETRY_AFTER_MS = 60_000;
/** `link` refused by the file system itself: PostgreSQL makes its segments, as before. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** Makes one segment: true if it is now this file, false if one of that name was there first. */
export type PrepareSegment = (walDir: string, segment: string, bytes: number) => Promise<boolean>;

/** Our temporary files, under the prefix PostgreSQL gives its own; this removes leftovers at start. */
const TEMP_PREFIX = 'xlogtemp.agenthub-';
/** Written from one shared buffer of zeros, 256 KB at a time. */
const ZEROS = 256 * 1024;
let zeros: Buffer | undefined;

/** The segment being written. */
const WAL_POSITION = `select pg_walfile_name(pg_current_wal_lsn()) as name`;
/** The segment size (bytes), fixed when the database was made: read once. */
const SEGMENT_SIZE = `select setting::int as bytes from pg_settings where name = 'wal_segment_size'`;

/** A WAL file name: timeline, then the segment number as "log id" and segment within it (8 hex digits each). */
export function walSegmentName(current: string, ahead: number, segmentBytes: number): string {
  const perLogId = 0x1_0000_0000 / segmentBytes;
  const timeline = current.slice(0, 8);
  const segment = parseInt(current.slice(8, 16), 16) * perLogId + parseInt(current.slice(16, 24), 16) + ahead;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return timeline + hex(Math.floor(segment / perLogId)) + hex(segment % perLogId);
}

export class WalPreallocator extends UpkeepTask {
  /** Segments this made that PostgreSQL had not made first (tests and diagnostics). */
  made = 0;
  /** Why this stopped for good (a file system without hard links), or null. */
  disabled: string | null = null;
  private segmentBytes = 0;
  /** Segments seen in the folder (or made) at the last look. */
  private known = new Set<string>();
  private pausedUntil = 0;

  constructor(
    private readonly client: PGlite,
    private readonly walDir: string,
    private readonly s: WalPreallocSettings = WAL_PREALLOC_DEFAULTS,
    private readonly prepare: PrepareSegment = prepareWalSegment,
  ) {
    super(s.checkEveryMs);
  }

  protected async work(): Promise<void> {
    if (this.disabled || Date.now() < this.pausedUntil) return;
    if (!this.segmentBytes) {
      // What a crash left mid-way: never linked, so nothing of PostgreSQL's.
      for (const f of await readdir(this.walDir)) if (f.startsWith(TEMP_PREFIX)) await unlink(join(this.walDir, f));
      this.segmentBytes = (await this.client.query<{ bytes: number }>(SEGMENT_SIZE)).rows[0]!.bytes;
    }
    const bytes = this.segmentBytes;
    const { name } = (await this.client.query<{ name: string }>(WAL_POSITION)).rows[0]!;
    const ahead = Array.from({ length: this.s.ahead }, (_, k) => walSegmentName(name, k + 1, bytes));
    // Most ticks find them all there: the folder is read only when a name is new since the last look.
    if (ahead.every((segment) => this.known.has(segment))) return;
    const present = new Set(await readdir(this.walDir));
    this.known = new Set(ahead.filter((segment) => present.has(segment)));
    for (const segment of ahead) {
      if (present.has(segment)) continue;
      try {
        if (await this.prepare(this.walDir, segment, bytes)) this.made++;
        this.known.add(segment);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code && NO_HARD_LINKS.has(code)) this.disabled = `no hard links in ${this.walDir} (${code})`;
        else this.pausedUntil = Date.now() + RETRY_AFTER_MS;
        throw err;
      }
    }
  }
}

/**
 * Makes WAL segment `segment` (`bytes` of zeros) in `walDir`: true if it is now this file, false
 * if a file of that name was there first (PostgreSQL's), which is then left as it was.
 */
export async function prepareWalSegment(walDir: string, segment: string, bytes: number): Promise<boolean> {
  const temp = join(walDir, TEMP_PREFIX + segment);
  const file = await open(temp, 'w', 0o600);
  try {
    zeros ??= Buffer.alloc(ZEROS);
    for (let at = 0; at < bytes; at += ZEROS) await file.write(zeros, 0, Math.min(ZEROS, bytes - at), at);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(temp); // a full disk, say: PostgreSQL then makes the segment itself, or fails as it would
    throw err;
  }
  await file.close();
  // From here on synchronous: PostgreSQL runs on this thread, so it sees no segment half-installed.
  let linked = true;
  try {
    linkSync(temp, join(walDir, segment));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    linked = false;
  } finally {
    unlinkSync(temp);
  }
  // The new name must survive a power cut before any commit's WAL goes into it.
  syncFolder(walDir);
  return linked;
}
