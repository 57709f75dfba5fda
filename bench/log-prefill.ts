/**
 * `events.ts --log-rows=N`: the hub's event log holding N events before the hub starts, as the log
 * of a hub that has run for a while does (retention keeps 24 h of events by default). A fresh log
 * hides what grows with the log: each insert into an index on random ids lands on a random page of
 * it, and once that index outgrows the store's cache (16 MB of shared buffers on PGlite) each is a
 * page read too. The rows are written by the store itself (`INSERT … SELECT` over
 * `generate_series`), spread over the last hour, with ids made as `ids` says: 'sdk' as the SDKs
 * make them (UUID v7, time-ordered), 'random' as UUID v4.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPgliteClient, openPgliteStoreOn, openPostgresStore } from '@agent-hub/store';

export type IdKind = 'sdk' | 'random';

const CHUNK = 200_000;
const PAYLOAD = JSON.stringify({ seq: 0, sentAt: 0, pad: 'x'.repeat(60) });

/** `INSERT … SELECT` of the offsets `from`..`to` of `total`, times spread over the hour before now. */
function chunkSql(from: number, to: number, total: number, ids: IdKind): string {
  const ts = `now() - interval '1 hour' + g * (interval '3600 seconds' / ${total})`;
  const hex = `lpad(to_hex(floor(extract(epoch from ${ts}) * 1000)::bigint), 12, '0')`;
  // A v4 UUID with its first 48 bits replaced by the time and its version digit by 7, as
  // `timeOrderedId` does (protocol/src/ids.ts).
  const id =
    ids === 'sdk'
      ? `substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-7' || substr(gen_random_uuid()::text, 16)`
      : 'gen_random_uuid()::text';
  return `insert into events ("offset", id, topic, priority, ts, publisher, payload)
    select g, ${id}, 'bench:prefill:' || (g % 16), 1, ${ts}, 'bench-prefill', '${PAYLOAD}'
    from generate_series(${from}, ${to}) g`;
}

function chunks(total: number, ids: IdKind): string[] {
  const out: string[] = [];
  for (let from = 1; from <= total; from += CHUNK) out.push(chunkSql(from, Math.min(total, from + CHUNK - 1), total, ids));
  return out;
}

/** Fills the PGlite database of a hub's `dataDir` (made and migrated here). Returns the ms it took. */
export async function prefillPglite(dataDir: string, rows: number, ids: IdKind): Promise<number> {
  const started = performance.now();
  const client = await createPgliteClient(dataDir);
  try {
    const store = await openPgliteStoreOn(client, { walPrealloc: false });
    for (const sql of chunks(rows, ids)) await client.exec(sql);
    await client.exec('vacuum analyze events');
    await store.close();
  } finally {
    await client.close();
  }
  return performance.now() - started;
}

/** Fills the database at `url` (migrated here). Returns the ms it took. */
export async function prefillPostgres(url: string, rows: number, ids: IdKind): Promise<number> {
  const started = performance.now();
  const store = await openPostgresStore({ url });
  await store.close();
  const psql = (sql: string) => promisify(execFile)('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { maxBuffer: 1 << 20 });
  for (const sql of chunks(rows, ids)) await psql(sql);
  await psql('vacuum analyze events');
  return performance.now() - started;
}
