import { truncate } from 'node:fs/promises';
import { appendDurably, readIfExists, writeFileAtomic } from './atomic-file.ts';

/**
 * An append-only JSONL file: appends are fsynced before they count, and a torn last line (a
 * crash mid-append, never acknowledged) is cut off at load so the next append starts clean.
 */
export class JsonLinesFile {
  constructor(readonly path: string) {}

  async load(): Promise<unknown[]> {
    const bytes = await readIfExists(this.path);
    if (!bytes || bytes.length === 0) return [];
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) await truncate(this.path, end);
    const lines = bytes.subarray(0, end).toString('utf8').split('\n');
    return lines.flatMap((line, i) => {
      if (line === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        throw new Error(`${this.path} line ${i + 1} is not JSON: the file is damaged`);
      }
    });
  }

  append(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return appendDurably(this.path, lines.map((l) => `${l}\n`).join(''));
  }

  rewrite(lines: string[]): Promise<void> {
    return writeFileAtomic(this.path, lines.map((l) => `${l}\n`).join(''));
  }
}
