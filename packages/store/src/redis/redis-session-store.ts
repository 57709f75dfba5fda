import {
  storedMessage,
  messageIdsOf,
  type NewMessageRecord,
  type NewSessionRecord,
  type SessionFilter,
  type SessionPatch,
  type SessionStore,
  type StoredAppend,
} from '@agent-hub/core';
import { HubError, SESSION_STATES, type Page, type Session, type SessionMessage, type SessionState } from '@agent-hub/protocol';
import type { Redis } from 'ioredis';
import {
  compareSessionsForListing,
  decodeSessionCursor,
  encodeSessionCursor,
  type SessionCursor,
  matchesSessionFilter,
  newSessionRecord,
  replayedWrite,
  toSession,
  sessionWriteRefusal,
} from '@agent-hub/core/store-kit';
import { listingTime, parseListingEntry, type RedisKeys } from './redis-keys.ts';
import type { StoreScripts } from './redis-scripts.ts';

/** A message as its history list keeps it: the seq is its position. */
// The stored JSON has no seq (the list index is the seq); it is added back on read.
type StoredMessage = SessionMessage;

// Listing reads the index in slices and filters what the index cannot (creation time, a second
// condition), so a selective filter costs a few round trips rather than one per session.
const LISTING_SLICE = 200;

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly scripts: StoreScripts,
  ) {}

  async createSession(rec: NewSessionRecord, messages: NewMessageRecord[]): Promise<Session> {
    const ids = JSON.stringify(messageIdsOf(messages));
    const stored = storedMessages(messages, rec.at);
    const members = JSON.stringify(rec.members);
    const metadata = JSON.stringify(rec.metadata ?? null);
    await this.scripts.hubCreateSession(this.keys.prefix, rec.id, String(rec.at), listingTime(rec.at), members, metadata, ids, ...stored);
    return toSession(newSessionRecord(rec), messages.length);
  }

  async getSession(id: string): Promise<Session | null> {
    const fields = await this.client.hgetall(this.keys.session(id));
    return fields.id === undefined ? null : sessionFromHash(fields);
  }

  async getMessages(id: string, afterSeq: number, limit: number): Promise<SessionMessage[]> {
    if (limit <= 0) return [];
    const start = Math.max(0, afterSeq);
    const rows = await this.client.lrange(this.keys.messages(id), start, start + limit - 1);
    return rows.map((json, i) => ({ ...(JSON.parse(json) as StoredMessage), seq: start + i + 1 }));
  }

  async listSessions(filter: SessionFilter, limit: number, cursor?: string): Promise<Page<Session>> {
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const index =
      filter.agent !== undefined
        ? this.keys.updatedWithMember(filter.agent)
        : filter.state
          ? this.keys.updatedInState(filter.state)
          : this.keys.updated;
    const items: { session: Session; at: SessionCursor }[] = [];
    let upper = upperBound(filter.updatedBefore, after);
    const lower = lowerBound(filter.updatedAfter);
    for (;;) {
      const entries = await this.client.zrevrangebylex(index, upper, lower, 'LIMIT', 0, LISTING_SLICE);
      const batch = this.client.pipeline();
      for (const entry of entries) batch.hgetall(this.keys.session(parseListingEntry(entry).id));
      const replies = entries.length > 0 ? ((await batch.exec()) ?? []) : [];
      for (const [i, [err, fields]] of replies.entries()) {
        if (err) throw err;
        const row = fields as Record<string, string>;
        const at = parseListingEntry(entries[i]!);
        // A session deleted or moved since the index was read is not where the index said.
        if (row.id === undefined || row.entry !== entries[i]) continue;
        if (after && compareSessionsForListing(at, after) <= 0) continue;
        const session = sessionFromHash(row);
        if (!matchesFilter(session, filter)) continue;
        items.push({ session, at });
        if (items.length > limit) break;
      }
      if (items.length > limit || entries.length < LISTING_SLICE) break;
      upper = `(${entries[entries.length - 1]}`;
    }
    const page = items.slice(0, limit);
    const last = items.length > limit ? page[page.length - 1] : undefined;
    return { items: page.map((i) => i.session), nextCursor: last ? encodeSessionCursor(last.at) : null };
  }

  async updateSession(id: string, expectedVersion: number | undefined, patch: SessionPatch, at: number): Promise<Session> {
    // An explicit state may revive an expired session; any other write to one is refused.
    const allowExpired = patch.state !== undefined;
    const agent = patch.agentState;
    const agentValue = agent && agent.state !== null && agent.state !== undefined ? JSON.stringify(agent.state) : '';
    const reply = await this.scripts.hubUpdateSession(
      this.keys.prefix,
      id,
      versionArg(expectedVersion),
      allowExpired ? '1' : '0',
      String(at),
      listingTime(at),
      patch.state ?? 'active',
      patch.metadata ? JSON.stringify(patch.metadata) : '',
      patch.members ? JSON.stringify(patch.members) : '',
      agent ? agent.agentId : '',
      agentValue,
    );
    return sessionFromHash(writtenFields(id, reply, allowExpired));
  }

  async appendMessages(id: string, expectedVersion: number | undefined, messages: NewMessageRecord[], at: number): Promise<StoredAppend> {
    const ids = messageIdsOf(messages);
    const stored = storedMessages(messages, at);
    const reply = await this.scripts.hubAppendMessages(
      this.keys.prefix,
      id,
      versionArg(expectedVersion),
      String(at),
      listingTime(at),
      // cjson decodes an empty JSON array as an empty table; the script only reads its length.
      JSON.stringify(ids),
      ...stored,
    );
    const [status, ...rest] = reply as [string, ...unknown[]];
    if (status === 'idconflict') {
      throw new HubError('SESSION_MESSAGE_ID_CONFLICT', `the message ids of this write are partly taken in session ${id}`, {
        sessionId: id,
        ids,
      });
    }
    if (status === 'duplicate') {
      const [flat, version, first, original] = rest as [string[], string, number, string[]];
      const messagesThen = original.map((json, i) => ({ ...(JSON.parse(json) as StoredMessage), seq: Number(first) + i }));
      return replayedWrite(sessionFromHash(pairsToFields(flat)), { version: Number(version), messages: messagesThen });
    }
    const session = sessionFromHash(writtenFields(id, reply, false));
    const firstSeq = session.messageCount - messages.length + 1;
    return {
      session,
      messages: stored.map((json, i) => ({ ...(JSON.parse(json) as StoredMessage), seq: firstSeq + i })),
    };
  }

  async deleteSession(id: string): Promise<boolean> {
    return (await this.scripts.hubDeleteSession(this.keys.prefix, id)) === 1;
  }

  async sweepSessions(idleBefore: number, expireBefore: number, at: number): Promise<{ idled: string[]; expired: string[] }> {
    const [idled, expired] = (await this.scripts.hubSweepSessions(
      this.keys.prefix,
      String(idleBefore),
      String(expireBefore),
      String(at),
      listingTime(at),
    )) as [string[], string[]];
    return { idled, expired };
  }

  async purgeExpired(before: number): Promise<number> {
    return (await this.scripts.hubPurgeExpired(this.keys.prefix, String(before))) as number;
  }

  async countByState(): Promise<Record<SessionState, number>> {
    const batch = this.client.pipeline();
    for (const state of SESSION_STATES) batch.zcard(this.keys.activityInState(state));
    const replies = (await batch.exec()) ?? [];
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    for (const [i, state] of SESSION_STATES.entries()) {
      const [err, n] = replies[i] ?? [null, 0];
      if (err) throw err;
      counts[state] = Number(n);
    }
    return counts;
  }
}

function versionArg(expectedVersion: number | undefined): string {
  return expectedVersion === undefined ? '' : String(expectedVersion);
}

function storedMessages(messages: NewMessageRecord[], at: number): string[] {
  const createdAt = new Date(at).toISOString();
  // seq is the message's list index, so it is left out of the stored JSON.
  return messages.map((m) => {
    const { seq: _seq, ...stored } = storedMessage({ ...m, metadata: m.metadata ?? {} }, 0, createdAt);
    return JSON.stringify(stored);
  });
}

/** The session hash a guarded write returned, or the refusal it stands for. */
function writtenFields(id: string, reply: unknown, allowExpired: boolean): Record<string, string> {
  const [status, ...rest] = reply as [string, ...unknown[]];
  if (status === 'refused') {
    const [version, state] = rest as [string | undefined, string | undefined];
    const current = version === undefined ? null : { version: Number(version), state: state as SessionState };
    throw sessionWriteRefusal(id, current, allowExpired);
  }
  return pairsToFields(rest[0] as string[]);
}

function pairsToFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

const AGENT_FIELD = 'agent:';

function sessionFromHash(f: Record<string, string>): Session {
  const agentState: Record<string, unknown> = {};
  for (const [field, json] of Object.entries(f)) {
    if (field.startsWith(AGENT_FIELD)) agentState[field.slice(AGENT_FIELD.length)] = JSON.parse(json);
  }
  return {
    id: f.id!,
    state: f.state as SessionState,
    version: Number(f.version),
    members: JSON.parse(f.members!) as string[],
    metadata: JSON.parse(f.metadata!) as Record<string, unknown>,
    agentState,
    messageCount: Number(f.messageCount),
    createdAt: new Date(Number(f.createdAt)).toISOString(),
    updatedAt: new Date(Number(f.updatedAt)).toISOString(),
    lastActivityAt: new Date(Number(f.lastActivityAt)).toISOString(),
  };
}

/**
 * The exclusive upper end of a newest-first listing: before `updatedBefore` and after the cursor,
 * whichever is tighter (both are ASCII up to the point where they differ, so strings compare).
 */
function upperBound(updatedBefore: number | undefined, after: SessionCursor | undefined): string {
  const bounds: string[] = [];
  if (updatedBefore !== undefined) bounds.push(listingTime(Math.ceil(updatedBefore)));
  if (after) bounds.push(`${listingTime(after.updatedAt)}:${after.id}`);
  if (bounds.length === 0) return '+';
  return `(${bounds.reduce((a, b) => (b < a ? b : a))}`;
}

/** The exclusive lower end: after `updatedAfter` (';' follows ':', so '(<time>;' skips that time). */
function lowerBound(updatedAfter: number | undefined): string {
  if (updatedAfter === undefined || updatedAfter < 0) return '-';
  return `(${listingTime(Math.floor(updatedAfter))};`;
}

function matchesFilter(s: Session, f: SessionFilter): boolean {
  const times = { createdAt: Date.parse(s.createdAt), updatedAt: Date.parse(s.updatedAt) };
  return matchesSessionFilter({ state: s.state, members: s.members, ...times }, f);
}
