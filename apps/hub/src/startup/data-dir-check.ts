import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError, describeError } from './startup-error.ts';

/**
 * DATA_DIR must be a directory this process can write. Missing folders are made one at a time:
 * a recursive mkdir under /proc never returns (Node walks up through procfs forever).
 */
export async function checkDataDir(dataDir: string): Promise<void> {
  const dir = path.resolve(dataDir);
  const fail = (cause: string) => new StartupError('DATA_DIR', dataDir, cause);
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const st = await stat(at).catch((err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? null : Promise.reject(fail(describeError(err))),
    );
    if (st) {
      if (!st.isDirectory()) throw fail(at === dir ? 'is not a directory' : `${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const p of missing) {
    await mkdir(p, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw fail(`cannot create ${p}: ${describeError(err)}`);
    });
  }
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    throw fail(`not writable: ${describeError(err)}`);
  }
}
