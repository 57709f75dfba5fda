import { access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AgentRecord, Store } from '@agent-hub/core';
import { StoreShell } from '@agent-hub/core/store-kit';
import { withDriverErrors } from '../store-unavailable.ts';
import { ensureDir, readIfExists } from './atomic-file.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { EventSegments } from './event-segments.ts';
import { FileEventLog } from './file-event-log.ts';
import { FileCheckpointStore } from './file-checkpoint-store.ts';
import { FileAgentStore, FileKeyValueStore } from './file-registry.ts';
import { FileSessionStore } from './file-session-store.ts';
import { toFileStoreError } from './file-unavailable.ts';
import { JsonLinesFile } from './json-lines-file.ts';
import { SessionFiles } from './session-files.ts';
import { SnapshotFile } from './snapshot-file.ts';

export interface FileStoreOptions {
  /** The store's own folder (created 700): `sessions/`, `events/`, `kv/`, a few JSON files, `.lock`. */
  dataDir: string;
}

/**
 * Opens the store in `dataDir`, loading its index into memory. One process per folder: a second
 * one (or a second store in this process) fails with STORE_UNAVAILABLE naming the holder's pid.
 */
export async function openFileStore(opts: FileStoreOptions): Promise<Store> {
  const dir = resolve(opts.dataDir);
  let lock: DataDirLock | undefined;
  try {
    await ensureDir(dir);
    lock = await lockDataDir(dir);
    const folders = ['sessions', 'events', 'kv', 'checkpoints'].map((f) => join(dir, f));
    for (const folder of folders) await ensureDir(folder);
    const [sessionsDir, eventsDir, kvDir, checkpointsDir] = folders as [string, string, string, string];
    const snapshot = (name: string) => (render: () => string) => new SnapshotFile(join(dir, name), render);
    const [sessions, events, kv, agents, checkpoints] = await Promise.all([
      FileSessionStore.load(new SessionFiles(sessionsDir)),
      FileEventLog.load({
        segments: new EventSegments(eventsDir),
        deadLetters: new JsonLinesFile(join(dir, 'dead-letters.jsonl')),
        deadLetterStatus: new JsonLinesFile(join(dir, 'dead-letter-status.jsonl')),
        offsets: await readJson<Record<string, number>>(join(dir, 'agent-offsets.json'), {}),
        offsetsFile: snapshot('agent-offsets.json'),
      }),
      FileKeyValueStore.load(kvDir),
      readJson<Record<string, AgentRecord>>(join(dir, 'agents.json'), {}),
      FileCheckpointStore.load(checkpointsDir),
    ]);
    const agentStore = new FileAgentStore(new Map(Object.entries(agents)), snapshot('agents.json'));
    return new FileStore(dir, lock, { sessions, events, agents: agentStore, kv, checkpoints });
  } catch (err) {
    await lock?.release();
    throw toFileStoreError(err);
  }
}

interface FileParts {
  sessions: FileSessionStore;
  events: FileEventLog;
  agents: FileAgentStore;
  kv: FileKeyValueStore;
  checkpoints: FileCheckpointStore;
}

/** The store port in plain files, for a single hub process without a database. */
export class FileStore extends StoreShell {
  readonly kind = 'file' as const;

  constructor(
    readonly dataDir: string,
    lock: DataDirLock,
    parts: FileParts,
  ) {
    super({
      ...parts,
      ping: () => access(dataDir, constants.W_OK),
      // Waits for every write already started, then gives up the folder's lock.
      release: async () => {
        const { sessions, events, agents, kv, checkpoints } = parts;
        await Promise.all([sessions.drain(), events.drain(), agents.drain(), kv.drain(), checkpoints.drain()]);
        await lock.release();
      },
      translate: withDriverErrors(toFileStoreError),
    });
  }
}

async function readJson<T>(path: string, fallback: T): Promise<T> {
  const bytes = await readIfExists(path);
  return bytes ? (JSON.parse(bytes.toString('utf8')) as T) : fallback;
}
