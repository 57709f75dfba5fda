import {
  messageIdsOf,
  type NewMessageRecord,
  type NewSessionRecord,
  type SessionFilter,
  type SessionPatch,
  type SessionStore,
  type StoredAppend,
} from '@agent-hub/core';
import type { Page, Session, SessionMessage, SessionState } from '@agent-hub/protocol';
import {
  jsonCopy,
  appendMessagesTo,
  applySessionPatch,
  earlierWriteIn,
  countSessionsByState,
  isInactiveIn,
  listSessionRecords,
  moveToState,
  newSessionRecord,
  replayedWrite,
  toSession,
  touchSession,
  writableRecord,
  sessionNotFound,
} from '@agent-hub/core/store-kit';
import { mapBounded, SerialQueues } from './serial-queues.ts';
import type { SessionDocument, SessionFiles, SessionHeader } from './session-files.ts';

// Session files rewritten side by side during a lifecycle sweep.
const SWEEP_CONCURRENCY = 8;

/**
 * Sessions as one file each, with every header in memory for listing and counting. Writes to one
 * session run one at a time (SerialQueues), which is what makes the version check safe: this
 * process is the only writer (the data-folder lock sees to that).
 */
export class FileSessionStore implements SessionStore {
  private readonly queue = new SerialQueues();

  private constructor(
    private readonly files: SessionFiles,
    private readonly index: Map<string, SessionHeader>,
  ) {}

  static async load(files: SessionFiles): Promise<FileSessionStore> {
    const headers = await files.loadAll();
    return new FileSessionStore(files, new Map(headers.map((h) => [h.id, h])));
  }

  createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    return this.queue.run(rec.id, async () => {
      if (this.index.has(rec.id)) throw new Error(`duplicate session id ${rec.id}`);
      messageIdsOf(messages);
      const doc: SessionDocument = { ...newSessionRecord(rec), messages: [] };
      appendMessagesTo(doc, messages, rec.at, 1);
      return headerToSession(await this.save(doc, undefined));
    });
  }

  async getSession(id: string): Promise<Session | null> {
    const header = this.index.get(id);
    return header ? headerToSession(header) : null;
  }

  getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    // Queued behind this session's writes, so a reader never opens a file being replaced.
    return this.queue.run(id, async () => {
      const header = this.index.get(id);
      if (!header || limit <= 0) return [];
      const { messages } = await this.files.read(header);
      // seq n sits at index n - 1: history is dense and append-only.
      const start = Math.max(0, afterSeq);
      return messages.slice(start, start + limit);
    });
  }

  async listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    return listSessionRecords(this.index.values(), filter, limit, cursor, headerToSession);
  }

  updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    return this.queue.run(id, async () => {
      // An explicit state may revive an expired session; any other write to one is refused.
      const header = writableRecord(id, this.index.get(id), expectedVersion, patch.state !== undefined);
      const doc = await this.files.read(header);
      applySessionPatch(doc, patch);
      touchSession(doc, patch.state ?? 'active', at);
      return headerToSession(await this.save(doc, header));
    });
  }

  appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    return this.queue.run(id, async () => {
      const existing = this.index.get(id);
      if (!existing) throw sessionNotFound(id);
      const doc = await this.files.read(existing);
      // A retry is recognised before the version and state checks: it answers what it did then.
      const earlier = earlierWriteIn(doc, messages);
      if (earlier) return replayedWrite(headerToSession(existing), earlier);
      const header = writableRecord(id, existing, expectedVersion, false);
      const added = appendMessagesTo(doc, messages, at, header.version + 1);
      touchSession(doc, 'active', at);
      return { session: headerToSession(await this.save(doc, header)), messages: jsonCopy(added) };
    });
  }

  deleteSession(id: string): Promise<boolean> {
    return this.queue.run(id, async () => {
      const header = this.index.get(id);
      if (!header) return false;
      await this.files.remove(header);
      this.index.delete(id);
      return true;
    });
  }

  async sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }> {
    // Expire before idling, so a session is seen idle by at least one sweep before it expires.
    const expired = await this.transition('idle', 'expired', expireBefore, at);
    const idled = await this.transition('active', 'idle', idleBefore, at);
    return { idled, expired };
  }

  async purgeExpired(before: number): Promise<number> {
    const due = (h: SessionHeader) => isInactiveIn(h, 'expired', before);
    const candidates = [...this.index.values()].filter(due).map((h) => h.id);
    const purged = await mapBounded(candidates, SWEEP_CONCURRENCY, (id) =>
      this.queue.run(id, async () => {
        const header = this.index.get(id);
        // Judged again in the queue: a write may have revived it meanwhile.
        if (!header || !due(header)) return 0;
        await this.files.remove(header);
        this.index.delete(id);
        return 1;
      }),
    );
    return purged.reduce<number>((n, p) => n + p, 0);
  }

  async countByState(): Promise<Record<SessionState, number>> {
    return countSessionsByState(this.index.values());
  }

  /** Resolves once every write queued so far is on disk. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private async transition(from: SessionState, to: SessionState, inactiveBefore: number, at: number): Promise<string[]> {
    const due = (h: SessionHeader) => isInactiveIn(h, from, inactiveBefore);
    const candidates = [...this.index.values()].filter(due).map((h) => h.id);
    const changed = await mapBounded(candidates, SWEEP_CONCURRENCY, (id) =>
      this.queue.run(id, async () => {
        const header = this.index.get(id);
        if (!header || !due(header)) return null;
        const doc = await this.files.read(header);
        moveToState(doc, to, at);
        await this.save(doc, header);
        return id;
      }),
    );
    return changed.filter((id): id is string => id !== null);
  }

  private async save(doc: SessionDocument, previous: SessionHeader | undefined): Promise<SessionHeader> {
    const header = await this.files.write(doc, previous?.variant);
    this.index.set(doc.id, header);
    return header;
  }
}

function headerToSession(header: SessionHeader): Session {
  return toSession(header, header.messageCount);
}
