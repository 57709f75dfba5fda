import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Marks a data folder as held by a running hub, so the CLI does not open its embedded store beside it. */
export const HUB_PID_FILE = 'hub.pid';

export async function writeHubPidFile(dataDir: string): Promise<{ remove(): Promise<void> }> {
  const file = path.join(dataDir, HUB_PID_FILE);
  await writeFile(file, `${process.pid}\n`, { mode: 0o600 });
  return { remove: () => rm(file, { force: true }) };
}

/** The pid of a live hub holding `dataDir`, or null (no file, or its process is gone after a crash). */
export async function runningHubPid(dataDir: string): Promise<number | null> {
  const text = await readFile(path.join(dataDir, HUB_PID_FILE), 'utf8').catch(() => null);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
