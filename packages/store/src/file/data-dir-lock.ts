import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '@agent-hub/protocol';
import { FILE_MODE, isMissing, removeIfExists } from './atomic-file.ts';

export const LOCK_FILE = '.lock';

/** Lock files held by this process, so a second store in the same process is refused too. */
const held = new Set<string>();

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Takes `<dir>/.lock` (holding our pid) or fails with STORE_UNAVAILABLE naming the holder. A
 * lock whose process is gone is taken over; so is one carrying our own pid that this process
 * does not hold (a container restarted as pid 1 meets its earlier life's lock).
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) throw lockedBy(dir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWithPid(path)) {
      held.add(path);
      return {
        release: async () => {
          held.delete(path);
          await removeIfExists(path);
        },
      };
    }
    const owner = await ownerOf(path);
    if (owner !== null && owner !== process.pid && isAlive(owner)) throw lockedBy(dir, owner);
    await removeIfExists(path);
  }
  throw lockedBy(dir, await ownerOf(path));
}

/**
 * Creates the lock file with its content in one step (write a temp file, hard-link it into
 * place), so no other process can ever see an empty lock; false if the lock already exists.
 */
async function createWithPid(path: string): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${process.pid}\n`, { mode: FILE_MODE, flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp);
  }
}

async function ownerOf(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedBy(dir: string, pid: number | null): HubError {
  return new HubError(
    'STORE_UNAVAILABLE',
    `the file store in ${dir} is in use by process ${pid ?? 'unknown'}: it allows one hub process per folder`,
    { dataDir: dir, pid, lockFile: join(dir, LOCK_FILE) },
  );
}
