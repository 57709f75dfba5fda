import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { HubEvent } from '@agent-hub/protocol';
import type { EventLog } from '@agent-hub/core';

const PAGE = 5000;

/**
 * Backup and inspection of the event log as JSON lines, one file per topic
 * (`<dir>/<topic>.log`, the topic percent-encoded so that `:` and `/` never reach a file name), streamed page by page so large logs fit in memory.
 */
export async function exportEvents(log: EventLog, dir: string, opts: { patterns?: string[]; from?: number } = {}): Promise<number> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = new Map<string, FileHandle>();
  let after = 0;
  let count = 0;
  try {
    for (;;) {
      const page = await log.readEvents({ afterOffset: after, patterns: opts.patterns, from: opts.from, limit: PAGE });
      for (const e of page) {
        let fh = files.get(e.topic);
        if (!fh) files.set(e.topic, (fh = await open(path.join(dir, topicFileName(e.topic)), 'w', 0o600)));
        await fh.write(JSON.stringify(e) + '\n');
      }
      count += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.offset;
    }
  } finally {
    for (const fh of files.values()) {
      await fh.sync();
      await fh.close();
    }
  }
  return count;
}

/** `agent:a1` → `agent%3Aa1.log`: no `:` (Windows, macOS Finder, tar), no `/`, and one topic per name. */
export function topicFileName(topic: string): string {
  return `${encodeURIComponent(topic)}.log`;
}

/** Loads every `*.log` file of `dir` back; ids already in the log are skipped (idempotent). */
export async function importEvents(log: EventLog, dir: string): Promise<{ read: number; added: number }> {
  let read = 0;
  let added = 0;
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.log')).sort()) {
    let batch: HubEvent[] = [];
    const flush = async () => {
      if (!batch.length) return;
      added += (await log.appendEvents(batch)).length;
      batch = [];
    };
    const lines = createInterface({ input: createReadStream(path.join(dir, name)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      batch.push(JSON.parse(line) as HubEvent);
      read++;
      if (batch.length >= 500) await flush();
    }
    await flush();
  }
  return { read, added };
}
