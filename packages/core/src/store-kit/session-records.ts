import type { NewMessageRecord, NewSessionRecord, SessionFilter, SessionPatch, StoredAppend } from '../ports/store.ts';
import { earlierWriteOf, messageIdsOf } from '../sessions/message-ids.ts';
import { storedMessage } from '../sessions/stored-message.ts';
import { SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import { jsonCopy } from './json-copy.ts';
import { compareSessionsForListing, decodeSessionCursor, encodeSessionCursor } from './session-cursor.ts';
import { sessionNotFound, sessionWriteRefusal } from './session-write-refusal.ts';

/**
 * A session as the stores that hold sessions in process memory keep it (the memory store's rows,
 * the file store's index): times in epoch ms. The history is not part of it, because the file
 * store's index leaves it on disk.
 */
export interface SessionRecord {
  id: string;
  state: SessionState;
  version: number;
  members: string[];
  metadata: Record<string, unknown>;
  agentState: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
}

/** The write that stored a message: the version it produced and its seq range. */
export interface MessageWrite {
  version: number;
  first: number;
  count: number;
}

/** A record with its whole history beside it; seq n sits at index n - 1. */
export interface SessionRecordWithHistory extends SessionRecord {
  messages: SessionMessage[];
  /** Message id → the write that stored it, so a retried write is recognised (absent: no ids yet). */
  messageWrites?: Record<string, MessageWrite>;
}

/** What a create makes, in every adapter: active at version 1, no agent state, one time for all. */
export function newSessionRecord(rec: NewSessionRecord): SessionRecord {
  return {
    id: rec.id,
    state: 'active',
    version: 1,
    members: [...rec.members],
    metadata: jsonCopy(rec.metadata),
    agentState: {},
    createdAt: rec.at,
    updatedAt: rec.at,
    lastActivityAt: rec.at,
  };
}

/** The record, if a guarded write may change it; otherwise the refusal every adapter gives. */
export function writableRecord<R extends SessionRecord>(
  id: string,
  record: R | undefined,
  expectedVersion: number | undefined,
  allowExpired: boolean,
): R {
  if (!record) throw sessionNotFound(id);
  const stale = expectedVersion !== undefined && record.version !== expectedVersion;
  if (stale || (record.state === 'expired' && !allowExpired)) throw sessionWriteRefusal(id, record, allowExpired);
  return record;
}

/** The content a patch replaces; its state and the times are the write's (see `touchSession`). */
export function applySessionPatch(record: SessionRecord, patch: SessionPatch): void {
  if (patch.metadata) record.metadata = jsonCopy(patch.metadata);
  if (patch.members) record.members = [...patch.members];
  if (patch.agentState) {
    const { agentId, state } = patch.agentState;
    if (state === null || state === undefined) delete record.agentState[agentId];
    else record.agentState[agentId] = jsonCopy(state);
  }
}

/** Every write: one version further, active unless told otherwise, and fresh activity. */
export function touchSession(record: SessionRecord, state: SessionState, at: number): void {
  record.version += 1;
  record.state = state;
  record.updatedAt = at;
  record.lastActivityAt = at;
}

/**
 * Appends to the history with the next seqs, all stamped `at`, noting each message id against
 * the write (which leaves the session at `version`); returns what it added.
 */
export function appendMessagesTo(
  record: Pick<SessionRecordWithHistory, 'messages' | 'messageWrites'>,
  messages: NewMessageRecord[],
  at: number,
  version: number,
): SessionMessage[] {
  const createdAt = new Date(at).toISOString();
  const first = record.messages.length + 1;
  const added: SessionMessage[] = messages.map((m, i) => jsonCopy(storedMessage(m, first + i, createdAt)));
  for (const m of messages) {
    if (m.id === undefined) continue;
    record.messageWrites ??= {};
    record.messageWrites[m.id] = { version, first, count: messages.length };
  }
  record.messages.push(...added);
  return added;
}

/** The earlier write that `messages` repeat (by message id), or undefined if they are new. */
export function earlierWriteIn(
  record: Pick<SessionRecordWithHistory, 'id' | 'messages' | 'messageWrites'>,
  messages: NewMessageRecord[],
): { version: number; messages: SessionMessage[] } | undefined {
  const writes = record.messageWrites ?? {};
  const ids = messageIdsOf(messages);
  const version = earlierWriteOf(record.id, ids, (id) => (Object.hasOwn(writes, id) ? writes[id]!.version : undefined));
  if (version === undefined) return undefined;
  const w = writes[ids[0]!]!;
  return { version, messages: record.messages.slice(w.first - 1, w.first - 1 + w.count).map(jsonCopy) };
}

/**
 * The answer to a retried write: its original messages, and the session as that write left it
 * (the fields an append sets; members, metadata and agent state as they are now).
 */
export function replayedWrite(current: Session, earlier: { version: number; messages: SessionMessage[] }): StoredAppend {
  const last = earlier.messages[earlier.messages.length - 1]!;
  const session: Session = {
    ...current,
    version: earlier.version,
    state: 'active',
    messageCount: last.seq,
    updatedAt: last.createdAt,
    lastActivityAt: last.createdAt,
  };
  return { session, messages: earlier.messages, duplicate: true };
}

/** Whether a sweep (or purge) takes this session: in `state` with no activity since `before`. */
export function isInactiveIn(record: SessionRecord, state: SessionState, before: number): boolean {
  return record.state === state && record.lastActivityAt < before;
}

/** A sweep's change of state: a new version, but not activity, so `lastActivityAt` stays. */
export function moveToState(record: SessionRecord, state: SessionState, at: number): void {
  record.state = state;
  record.version += 1;
  record.updatedAt = at;
}

export function toSession(record: SessionRecord, messageCount: number): Session {
  return {
    id: record.id,
    state: record.state,
    version: record.version,
    members: [...record.members],
    metadata: jsonCopy(record.metadata),
    agentState: jsonCopy(record.agentState),
    messageCount,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    lastActivityAt: new Date(record.lastActivityAt).toISOString(),
  };
}

/** The filter as the SQL adapters apply it in their WHERE: time bounds exclusive. */
export function matchesSessionFilter(s: Pick<SessionRecord, 'state' | 'members' | 'createdAt' | 'updatedAt'>, f: SessionFilter): boolean {
  if (f.state && s.state !== f.state) return false;
  if (f.agent !== undefined && !s.members.includes(f.agent)) return false;
  if (f.createdAfter !== undefined && !(s.createdAt > f.createdAfter)) return false;
  if (f.createdBefore !== undefined && !(s.createdAt < f.createdBefore)) return false;
  if (f.updatedAfter !== undefined && !(s.updatedAt > f.updatedAfter)) return false;
  if (f.updatedBefore !== undefined && !(s.updatedAt < f.updatedBefore)) return false;
  return true;
}

/** One page of the records matching `filter`, in the listing order every adapter shares. */
export function listSessionRecords<R extends SessionRecord>(
  records: Iterable<R>,
  filter: SessionFilter,
  limit: number,
  cursor: string | undefined,
  present: (record: R) => Session,
): Page<Session> {
  const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
  const matching = [...records]
    .filter((r) => matchesSessionFilter(r, filter))
    .filter((r) => !after || compareSessionsForListing(r, after) > 0)
    .sort(compareSessionsForListing);
  const page = matching.slice(0, limit);
  const last = matching.length > limit ? page[page.length - 1] : undefined;
  return {
    items: page.map((r) => present(r)),
    nextCursor: last ? encodeSessionCursor({ updatedAt: last.updatedAt, id: last.id }) : null,
  };
}

export function countSessionsByState(records: Iterable<Pick<SessionRecord, 'state'>>): Record<SessionState, number> {
  const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
  for (const r of records) counts[r.state] += 1;
  return counts;
}
