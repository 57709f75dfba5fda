import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Everything the file store writes holds sessions and events: its owner's only. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

const TEMP_SUFFIX = '.tmp';

/** Creates the folder if needed, and makes it the owner's only even if it existed before. */
export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  await chmod(path, DIR_MODE);
}

/**
 * Replaces `path` with `data` so that a crash leaves the old content or the new, never a mix:
 * write a temp file beside it, fsync, rename over, fsync the folder (which holds the rename).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
  try {
    const fh = await open(temp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await removeIfExists(temp);
    throw err;
  }
  await syncDir(dirname(path));
}

/** Appends to `path` (created 600 if new) and fsyncs before returning. */
export async function appendDurably(path: string, data: string): Promise<void> {
  const fh = await open(path, 'a', FILE_MODE);
  try {
    const created = (await fh.stat()).size === 0;
    await fh.writeFile(data);
    await fh.sync();
    if (created) await syncDir(dirname(path));
  } finally {
    await fh.close();
  }
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Says whether there was a file to remove. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** The folder's file names, after removing temp files a crash left behind. */
export async function listFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const stray = names.filter((n) => n.endsWith(TEMP_SUFFIX));
  await Promise.all(stray.map((n) => removeIfExists(join(dir, n))));
  return names.filter((n) => !n.endsWith(TEMP_SUFFIX)).sort();
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
