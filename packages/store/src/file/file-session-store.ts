import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, SessionStore } from '@agent-hub/core';
import { SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { jsonCopy } from '../memory/json-copy.ts';
import { compareSessionsForListing, decodeSessionCursor, encodeSessionCursor } from '../session-cursor.ts';
import { sessionNotFound, sessionWriteRefusal } from '../session-write-refusal.ts';
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
      const doc: SessionDocument = {
        id: rec.id,
        state: 'active',
        version: 1,
        members: [...rec.members],
        metadata: jsonCopy(rec.metadata),
        agentState: {},
        createdAt: rec.at,
        updatedAt: rec.at,
        lastActivityAt: rec.at,
        messages: [],
      };
      appendTo(doc, messages, rec.at);
      return toSession(await this.save(doc, undefined));
    });
  }

  async getSession(id: string): Promise<Session | null> {
    const header = this.index.get(id);
    return header ? toSession(header) : null;
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
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const matching = [...this.index.values()]
      .filter((h) => matchesFilter(h, filter))
      .filter((h) => !after || compareSessionsForListing(h, after) > 0)
      .sort(compareSessionsForListing);
    const page = matching.slice(0, limit);
    const last = matching.length > limit ? page[page.length - 1] : undefined;
    return {
      items: page.map(toSession),
      nextCursor: last ? encodeSessionCursor({ updatedAt: last.updatedAt, id: last.id }) : null,
    };
  }

  updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    return this.queue.run(id, async () => {
      // An explicit state may revive an expired session; any other write to one is refused.
      const header = this.writable(id, expectedVersion, patch.state !== undefined);
      const doc = await this.files.read(header);
      if (patch.metadata) doc.metadata = jsonCopy(patch.metadata);
      if (patch.members) doc.members = [...patch.members];
      if (patch.agentState) {
        const { agentId, state } = patch.agentState;
        if (state === null || state === undefined) delete doc.agentState[agentId];
        else doc.agentState[agentId] = jsonCopy(state);
      }
      touch(doc, patch.state ?? 'active', at);
      return toSession(await this.save(doc, header));
    });
  }

  appendMessages(
    id: string,
    expectedVersion: number | undefined,
    messages: NewMessageRecord[],
    at: number,
  ): Promise<{ session: Session; messages: SessionMessage[] }> {
    return this.queue.run(id, async () => {
      const header = this.writable(id, expectedVersion, false);
      const doc = await this.files.read(header);
      const added = appendTo(doc, messages, at);
      touch(doc, 'active', at);
      return { session: toSession(await this.save(doc, header)), messages: jsonCopy(added) };
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
    const due = (h: SessionHeader | undefined) => h?.state === 'expired' && h.lastActivityAt < before;
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
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    for (const h of this.index.values()) counts[h.state] += 1;
    return counts;
  }

  /** Resolves once every write queued so far is on disk. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private async transition(from: SessionState, to: SessionState, inactiveBefore: number, at: number): Promise<string[]> {
    const due = (h: SessionHeader | undefined) => h?.state === from && h.lastActivityAt < inactiveBefore;
    const candidates = [...this.index.values()].filter(due).map((h) => h.id);
    const changed = await mapBounded(candidates, SWEEP_CONCURRENCY, (id) =>
      this.queue.run(id, async () => {
        const header = this.index.get(id);
        if (!header || !due(header)) return null;
        const doc = await this.files.read(header);
        doc.state = to;
        doc.version += 1;
        doc.updatedAt = at;
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

  private writable(id: string, expectedVersion: number | undefined, allowExpired: boolean): SessionHeader {
    const header = this.index.get(id);
    if (!header) throw sessionNotFound(id);
    const stale = expectedVersion !== undefined && header.version !== expectedVersion;
    if (stale || (header.state === 'expired' && !allowExpired)) throw sessionWriteRefusal(id, header, allowExpired);
    return header;
  }
}

function appendTo(doc: SessionDocument, messages: NewMessageRecord[], at: number): SessionMessage[] {
  const createdAt = new Date(at).toISOString();
  const added = messages.map((m, i) => ({
    seq: doc.messages.length + i + 1,
    role: m.role,
    author: m.author,
    content: m.content,
    metadata: jsonCopy(m.metadata),
    createdAt,
  }));
  doc.messages.push(...added);
  return added;
}

/** Every write: one version further, active unless told otherwise, and fresh activity. */
function touch(doc: SessionDocument, state: SessionState, at: number): void {
  doc.version += 1;
  doc.state = state;
  doc.updatedAt = at;
  doc.lastActivityAt = at;
}

function matchesFilter(h: SessionHeader, f: SessionFilter): boolean {
  if (f.state && h.state !== f.state) return false;
  if (f.agent !== undefined && !h.members.includes(f.agent)) return false;
  if (f.createdAfter !== undefined && !(h.createdAt > f.createdAfter)) return false;
  if (f.createdBefore !== undefined && !(h.createdAt < f.createdBefore)) return false;
  if (f.updatedAfter !== undefined && !(h.updatedAt > f.updatedAfter)) return false;
  if (f.updatedBefore !== undefined && !(h.updatedAt < f.updatedBefore)) return false;
  return true;
}

function toSession(h: SessionHeader): Session {
  return {
    id: h.id,
    state: h.state,
    version: h.version,
    members: [...h.members],
    metadata: jsonCopy(h.metadata),
    agentState: jsonCopy(h.agentState),
    messageCount: h.messageCount,
    createdAt: new Date(h.createdAt).toISOString(),
    updatedAt: new Date(h.updatedAt).toISOString(),
    lastActivityAt: new Date(h.lastActivityAt).toISOString(),
  };
}
