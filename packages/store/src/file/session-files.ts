import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { SessionRecordWithHistory } from '@agent-hub/core/store-kit';
import { listFiles, readIfExists, removeIfExists, writeFileAtomic } from './atomic-file.ts';
import { fileNameFor } from './file-names.ts';
import { mapBounded } from './serial-queues.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

// Long histories compress well (repeated keys, prose); small files are not worth the CPU.
const GZIP_ABOVE_BYTES = 100 * 1024;
// Files read side by side when the store opens.
const LOAD_CONCURRENCY = 32;

/** A session as its file holds it: times in epoch ms, the whole history beside it. */
export type SessionDocument = SessionRecordWithHistory;

export type FileVariant = 'json' | 'json.gz';

/** What the in-memory index keeps of a session: everything but the history. */
export type SessionHeader = Omit<SessionDocument, 'messages' | 'messageWrites'> & { messageCount: number; variant: FileVariant };

/** The `sessions/` folder: one file per session, `<name>.json`, or `<name>.json.gz` when large. */
export class SessionFiles {
  constructor(private readonly dir: string) {}

  /** Writes the document atomically; returns its header, to replace the index entry. */
  async write(doc: SessionDocument, previous: FileVariant | undefined): Promise<SessionHeader> {
    const json = JSON.stringify(doc);
    const large = Buffer.byteLength(json) > GZIP_ABOVE_BYTES;
    const variant: FileVariant = large ? 'json.gz' : 'json';
    await writeFileAtomic(this.path(doc.id, variant), large ? await gzipAsync(json) : json);
    // The other variant is stale now; should this removal be lost, loading keeps the newer version.
    if (previous && previous !== variant) await removeIfExists(this.path(doc.id, previous));
    return headerOf(doc, variant);
  }

  async read(header: SessionHeader): Promise<SessionDocument> {
    const doc = await this.readFile(this.path(header.id, header.variant));
    if (!doc) throw new Error(`session file of ${header.id} is missing`);
    return doc;
  }

  async remove(header: SessionHeader): Promise<void> {
    await removeIfExists(this.path(header.id, header.variant));
  }

  /** Every session's header, reading each file once. */
  async loadAll(): Promise<SessionHeader[]> {
    const names = (await listFiles(this.dir)).filter((n) => n.endsWith('.json') || n.endsWith('.json.gz'));
    const headers = await mapBounded(names, LOAD_CONCURRENCY, async (name) => {
      const doc = await this.readFile(join(this.dir, name));
      return doc ? headerOf(doc, name.endsWith('.gz') ? 'json.gz' : 'json') : null;
    });
    const newest = new Map<string, SessionHeader>();
    for (const h of headers) {
      if (!h) continue;
      const seen = newest.get(h.id);
      if (seen && seen.version >= h.version) {
        await this.remove(h);
        continue;
      }
      if (seen) await this.remove(seen);
      newest.set(h.id, h);
    }
    return [...newest.values()];
  }

  private path(id: string, variant: FileVariant): string {
    return join(this.dir, `${fileNameFor(id)}.${variant}`);
  }

  private async readFile(path: string): Promise<SessionDocument | null> {
    const bytes = await readIfExists(path);
    if (!bytes) return null;
    const text = path.endsWith('.gz') ? (await gunzipAsync(bytes)).toString('utf8') : bytes.toString('utf8');
    return JSON.parse(text) as SessionDocument;
  }
}

function headerOf(doc: SessionDocument, variant: FileVariant): SessionHeader {
  // The history and its id notes stay on disk; the index holds one small header per session.
  const { messages, messageWrites: _writes, ...rest } = doc;
  return { ...rest, messageCount: messages.length, variant };
}
