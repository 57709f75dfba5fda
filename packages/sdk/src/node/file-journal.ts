import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { PublishEvent } from '@agent-hub/protocol';
import type { PublishJournal } from '../publish-journal.ts';

type Line = { add: PublishEvent & { id: string } } | { done: string };

/**
 * An append-only JSONL journal of unconfirmed publishes for Node (`+` an event, `-` its id when
 * settled), compacted at load. Lines are written without fsync: a crashed process keeps them
 * (the OS has them), a crashed machine may lose the last ones — the price of 10k publishes/s.
 */
export class FileJournal implements PublishJournal {
  private fd: number | null = null;

  constructor(private readonly file: string) {}

  load(): PublishEvent[] {
    const open = new Map<string, PublishEvent & { id: string }>();
    if (existsSync(this.file)) {
      for (const raw of readFileSync(this.file, 'utf8').split('\n')) {
        if (!raw) continue;
        let line: Line;
        try {
          line = JSON.parse(raw) as Line;
        } catch {
          continue; // a line cut by a crash
        }
        if ('add' in line) open.set(line.add.id, line.add);
        else open.delete(line.done);
      }
    }
    // Rewrite with only what is still open, so the file does not grow without bound.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...open.values()].map((p) => JSON.stringify({ add: p }) + '\n').join(''), { mode: 0o600 });
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    return [...open.values()];
  }

  add(p: PublishEvent & { id: string }): void {
    this.write({ add: p });
  }

  remove(id: string): void {
    this.write({ done: id });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(line: Line): void {
    if (this.fd === null) this.fd = openSync(this.file, 'a');
    appendFileSync(this.fd, JSON.stringify(line) + '\n');
  }
}
