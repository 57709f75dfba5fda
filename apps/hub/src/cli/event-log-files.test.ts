import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '@agent-hub/store';
import type { HubEvent } from '@agent-hub/protocol';
import { exportEvents, importEvents } from './event-log-files.ts';

const ev = (offset: number, topic: string): HubEvent => ({
  id: `id-${offset}`,
  offset,
  topic,
  priority: 'normal',
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, offset)).toISOString(),
  publisher: 'p',
  payload: { offset, text: 'héllo "quoted"' },
});

describe('event log export/import', () => {
  it('writes one JSONL file per topic and imports them back idempotently', async () => {
    const source = new MemoryStore();
    const events = [ev(1, 'a:x'), ev(2, 'b:y'), ev(3, 'a:x'), ev(4, 'a:z')];
    await source.events.appendEvents(events);
    const dir = await mkdtemp(path.join(tmpdir(), 'events-export-'));
    expect(await exportEvents(source.events, dir)).toBe(4);
    expect((await readdir(dir)).sort()).toEqual(['a%3Ax.log', 'a%3Az.log', 'b%3Ay.log']);
    const lines = (await readFile(path.join(dir, 'a%3Ax.log'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).offset)).toEqual([1, 3]);

    const target = new MemoryStore();
    expect(await importEvents(target.events, dir)).toEqual({ read: 4, added: 4 });
    expect(await importEvents(target.events, dir)).toEqual({ read: 4, added: 0 });
    expect(await target.events.readEvents({ limit: 10 })).toEqual(events);
  });

  it('exports only the topics asked for', async () => {
    const source = new MemoryStore();
    await source.events.appendEvents([ev(1, 'a:x'), ev(2, 'b:y')]);
    const dir = await mkdtemp(path.join(tmpdir(), 'events-export-'));
    expect(await exportEvents(source.events, dir, { patterns: ['b:*'] })).toBe(1);
    expect(await readdir(dir)).toEqual(['b%3Ay.log']);
  });
});
