import type { PGlite } from '@electric-sql/pglite';
import { UpkeepTask } from './upkeep-task.ts';

/**
 * PGlite runs PostgreSQL as a single-user backend, which has no checkpointer process: nothing ever
 * takes a checkpoint while the database is open (only a clean close does). So its WAL is never
 * recycled, `pg_wal` grows by every byte written for as long as the hub runs, and a crash replays
 * all of it at the next start (measured: 185 MB of WAL, 1.25 s to reopen; a busy week would exceed
 * the hub's start deadline). This takes the checkpoints a server's checkpointer would: when the WAL
 * written since the last one passes `maxWalBytes`, or `intervalMs` after it if anything was
 * written at all. A checkpoint lets PostgreSQL recycle or remove the older segments.
 */
export interface WalCheckpointSettings {
  /** Checkpoint once this much WAL was written since the last one (256 MB). */
  maxWalBytes: number;
  /** Checkpoint this long after the last one if any WAL was written since (5 min, PostgreSQL's `checkpoint_timeout`). */
  intervalMs: number;
  /** How often the WAL position is read (5 s). */
  checkEveryMs: number;
}

export const WAL_CHECKPOINT_DEFAULTS: WalCheckpointSettings = {
  maxWalBytes: 256 * 1024 * 1024,
  intervalMs: 5 * 60_000,
  checkEveryMs: 5_000,
};

/**
 * Less than this since the last checkpoint counts as nothing written: a checkpoint writes a record
 * of its own after its redo point, which must not make an idle hub checkpoint every interval.
 */
const IDLE_WAL_BYTES = 64 * 1024;

/** WAL written since the last checkpoint's redo point, in bytes. */
const WAL_SINCE_CHECKPOINT = `select pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as behind from pg_control_checkpoint()`;

export class WalCheckpointer extends UpkeepTask {
  /** Checkpoints taken (tests and diagnostics). */
  taken = 0;
  private lastAt = Date.now();

  constructor(
    private readonly client: PGlite,
    private readonly s: WalCheckpointSettings = WAL_CHECKPOINT_DEFAULTS,
  ) {
    super(s.checkEveryMs);
  }

  protected async work(): Promise<void> {
    const { rows } = await this.client.query<{ behind: number }>(WAL_SINCE_CHECKPOINT);
    const behind = Number(rows[0]?.behind ?? 0);
    const due = behind >= this.s.maxWalBytes || (behind > IDLE_WAL_BYTES && Date.now() - this.lastAt >= this.s.intervalMs);
    if (!due) return;
    await this.client.exec('checkpoint');
    this.taken++;
    this.lastAt = Date.now();
  }
}
