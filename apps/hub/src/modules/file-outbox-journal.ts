import { open, readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { JournaledWrite, OutboxJournal } from '@agent-hub/core';

/**
 * The session outbox on disk: one JSON line per accepted write, fsynced before the client is
 * answered; rewritten atomically (temp file + fsync + rename) as the queue drains.
 */
export class FileOutboxJournal implements OutboxJournal {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'session-outbox.jsonl');
  }

  async load(): Promise<JournaledWrite[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // A torn last line (crash mid-append) was never acknowledged: skip it.
    return text
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as JournaledWrite];
        } catch {
          return [];
        }
      });
  }

  async append(entry: JournaledWrite): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fh = await open(this.file, 'a', 0o600);
    try {
      await fh.appendFile(JSON.stringify(entry) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async rewrite(remaining: JournaledWrite[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, remaining.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
    const fh = await open(tmp, 'r');
    await fh.sync();
    await fh.close();
    await rename(tmp, this.file);
  }
}
