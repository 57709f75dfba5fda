import { drizzle } from 'drizzle-orm/postgres-js';
import { describe, expect, it } from 'vitest';
import { event } from '../contract/fixtures.ts';
import type { SqlDatabase } from './sql-database.ts';
import { SqlEventLog, type RawDriver } from './sql-event-log.ts';

// Which statement a batch goes through, on a driver that records its calls. What the statements
// store is the event-log contract's, run on every store (pglite-store.test.ts and the others).
function recordingDriver(copy: (target: string, text: string) => Promise<number | undefined>) {
  const calls: string[] = [];
  const copied: string[] = [];
  const driver: RawDriver = {
    insert: async (_statement, params) => {
      calls.push('insert');
      return new Set(params[1] as string[]).size;
    },
    rows: async () => [],
    copy: async (target, text) => {
      calls.push('copy');
      copied.push(text);
      return copy(target, text);
    },
  };
  // A database with no connection: it only writes the insert's text here (the database is read
  // only when a statement writes fewer rows than the batch has ids).
  const log = new SqlEventLog(drizzle.mock() as unknown as SqlDatabase, driver);
  return { log, calls, copied };
}

const rowsOf = async (_target: string, text: string) => text.split('\n').length - 1;

describe('SqlEventLog on a driver that can COPY', () => {
  it('loads a batch of new ids with one COPY, its fields escaped for the text format', async () => {
    const { log, calls, copied } = recordingDriver(rowsOf);
    const payload = { text: 'tab\there\nback\\slash' };
    const ids = await log.appendEvents([event(1, 'a:b', { payload }), event(2, 'a:b', { id: 'ev_2-x', at: 0 })]);
    expect(ids).toEqual(['ev-1', 'ev_2-x']);
    expect(calls).toEqual(['copy']);
    // JSON writes the tab and the newline as \t and \n; COPY must read every backslash as itself.
    expect(copied[0]).toBe(
      [
        '1\tev-1\ta:b\t1\t2030-01-01T00:00:01.000Z\tpublisher-1\t{"text":"tab\\\\there\\\\nback\\\\\\\\slash"}\n',
        '2\tev_2-x\ta:b\t1\t1970-01-01T00:00:00.000Z\tpublisher-1\t{"n":2}\n',
      ].join(''),
    );
  });

  it('inserts a batch that repeats an id, which COPY would refuse whole', async () => {
    const { log, calls } = recordingDriver(rowsOf);
    expect(await log.appendEvents([event(1, 'a'), event(2, 'a', { id: 'ev-1' })])).toEqual(['ev-1']);
    expect(calls).toEqual(['insert']);
  });

  it('falls back to the insert when the COPY meets an id already stored', async () => {
    const stored = Object.assign(new Error('duplicate key value violates unique constraint "events_id_unique"'), { code: '23505' });
    const { log, calls } = recordingDriver(() => Promise.reject(stored));
    expect(await log.appendEvents([event(1, 'a'), event(2, 'a')])).toEqual(['ev-1', 'ev-2']);
    expect(calls).toEqual(['copy', 'insert']);
  });

  it('passes on any other failure of the COPY without retrying it as an insert', async () => {
    const down = Object.assign(new Error('connection lost'), { code: '57P01' });
    const { log, calls } = recordingDriver(() => Promise.reject(down));
    await expect(log.appendEvents([event(1, 'a')])).rejects.toBe(down);
    expect(calls).toEqual(['copy']);
  });
});
