import { deadLetterConflict, deadLetterNotFound, type DeadLetterStatusChange, type EventLog, type EventQuery } from '@agent-hub/core';
import { topicMatches, type DeadLetter, type DeadLetterStatus, type HubEvent } from '@agent-hub/protocol';
import { withStatus, eventQueryMatcher, parseTopicPattern } from '@agent-hub/core/store-kit';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.ts';
import type { StoreScripts } from './redis-scripts.ts';

// One script call per slice: a 500-event batch is one round trip, and no single script holds the
// server for long whatever the batch size.
const APPEND_SLICE = 1000;
// Events read (or examined for retention) per round trip.
const READ_SLICE = 500;

export class RedisEventLog implements EventLog {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly scripts: StoreScripts,
  ) {}

  async appendEvents(batch: HubEvent[]): Promise<string[]> {
    const fresh: string[] = [];
    for (let start = 0; start < batch.length; start += APPEND_SLICE) {
      const args = batch.slice(start, start + APPEND_SLICE).flatMap((e) => {
        const tsMs = Date.parse(e.ts);
        // Normalised as a timestamptz column gives it back; the payload serialised once.
        const stored: HubEvent = { ...e, ts: new Date(tsMs).toISOString(), payload: e.payload ?? null };
        return [e.id, String(e.offset), String(tsMs), JSON.stringify(stored)];
      });
      fresh.push(...((await this.scripts.hubAppendEvents(this.keys.prefix, ...args)) as string[]));
    }
    return fresh;
  }

  async maxOffset(): Promise<number> {
    // RESP2 answers [member, score], RESP3 [[member, score]]: flattened, both are the same.
    const last = ((await this.client.zrange(this.keys.eventsByOffset, -1, '-1', 'WITHSCORES')) as unknown[]).flat();
    return last.length === 0 ? 0 : Number(last[1]);
  }

  async hasEvent(id: string): Promise<boolean> {
    return (await this.client.hexists(this.keys.events, id)) === 1;
  }

  async offsetsOf(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    // The offset index answers without parsing each stored event; it holds exactly the ids of the
    // events hash (both change together, in the append script and the retention transaction).
    // RESP2 answers scores as strings, RESP3 as numbers.
    const scores = await this.client.zmscore(this.keys.eventsByOffset, ...ids);
    const found = new Map<string, number>();
    ids.forEach((id, i) => {
      const score = scores[i];
      if (score !== null && score !== undefined) found.set(id, Number(score));
    });
    return found;
  }

  async readEvents(q: EventQuery): Promise<HubEvent[]> {
    const matches = eventQueryMatcher(q);
    const out: HubEvent[] = [];
    let lower = q.afterOffset === undefined ? '-inf' : `(${q.afterOffset}`;
    while (out.length < q.limit) {
      const flat = (await this.scripts.hubReadEvents(this.keys.prefix, lower, READ_SLICE)) as (string | null)[];
      for (let i = 0; i < flat.length && out.length < q.limit; i += 2) {
        const json = flat[i + 1];
        if (!json) continue;
        const e = JSON.parse(json) as HubEvent;
        if (matches(e, Date.parse(e.ts))) out.push(e);
      }
      if (flat.length < READ_SLICE * 2) break;
      lower = `(${flat[flat.length - 2]}`;
    }
    return out;
  }

  async deleteEventsBefore(before: number, pattern?: string): Promise<number> {
    if (pattern !== undefined) parseTopicPattern(pattern);
    let deleted = 0;
    // Events kept (topic did not match) stay in the time index; step over them.
    let kept = 0;
    for (;;) {
      const ids = await this.client.zrangebyscore(this.keys.eventsByTime, '-inf', `(${before}`, 'LIMIT', kept, READ_SLICE);
      if (ids.length === 0) break;
      const doomed = pattern === undefined ? ids : await this.onTopic(ids, pattern);
      if (doomed.length > 0) {
        const replies = await this.client
          .multi()
          .hdel(this.keys.events, ...doomed)
          .zrem(this.keys.eventsByOffset, ...doomed)
          .zrem(this.keys.eventsByTime, ...doomed)
          .exec();
        const [err, n] = replies?.[0] ?? [new Error('transaction discarded'), 0];
        if (err) throw err;
        deleted += Number(n);
      }
      kept += ids.length - doomed.length;
      if (ids.length < READ_SLICE) break;
    }
    return deleted;
  }

  async getAgentOffset(agentId: string): Promise<number | null> {
    const offset = await this.client.hget(this.keys.agentOffsets, agentId);
    return offset === null ? null : Number(offset);
  }

  async setAgentOffset(agentId: string, offset: number): Promise<void> {
    await this.scripts.hubAdvanceOffset(this.keys.prefix, agentId, String(offset));
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    const atMs = Date.parse(d.at);
    // The letter as it was dead-lettered; its status is kept apart (see setDeadLetterStatus).
    const { status, resolvedBy, resolvedAt, ...letter } = d;
    const stored = { ...letter, at: new Date(atMs).toISOString() };
    const statusValue = status === undefined || status === 'open' ? '' : statusEntry({ status, by: resolvedBy, at: resolvedAt });
    await this.scripts.hubAddDeadLetter(this.keys.prefix, d.id, String(atMs), JSON.stringify(stored), statusValue);
  }

  async listDeadLetters(limit: number, filter: { status?: DeadLetterStatus } = {}): Promise<DeadLetter[]> {
    if (limit <= 0) return [];
    const out: DeadLetter[] = [];
    // Score ties come back in reverse byte order of id: newest first, then id descending. With a
    // status filter, read a slice at a time until enough letters match.
    const slice = filter.status === undefined ? limit : Math.max(limit, READ_SLICE);
    for (let start = 0; out.length < limit; start += slice) {
      const ids = await this.client.zrevrange(this.keys.deadLettersByTime, start, start + slice - 1);
      if (ids.length === 0) break;
      for (const d of await this.deadLettersOf(ids)) {
        if (filter.status === undefined || d.status === filter.status) out.push(d);
      }
      if (ids.length < slice) break;
    }
    return out.slice(0, limit);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    const [d] = await this.deadLettersOf([id]);
    return d ?? null;
  }

  async setDeadLetterStatus(id: string, from: DeadLetterStatus, change: DeadLetterStatusChange): Promise<DeadLetter> {
    // One script: of two concurrent changes (on any node) exactly one finds `from`.
    const r = await this.scripts.hubSetDeadLetterStatus(this.keys.prefix, id, from, change.status, statusEntry(change));
    const current = await this.getDeadLetter(id);
    if (r === 0 || !current) throw deadLetterNotFound(id);
    if (r !== 1) throw deadLetterConflict(withStatusValue(current, String(r)), from);
    return current;
  }

  private async deadLettersOf(ids: string[]): Promise<DeadLetter[]> {
    const [rows, statuses] = await Promise.all([
      this.client.hmget(this.keys.deadLetters, ...ids),
      this.client.hmget(this.keys.deadLetterStatus, ...ids),
    ]);
    return ids.flatMap((_, i) => {
      const row = rows[i];
      if (!row) return [];
      const letter = withStatus(JSON.parse(row) as DeadLetter);
      const status = statuses[i];
      return [status ? withStatusValue(letter, status) : letter];
    });
  }

  /** Of these event ids, those stored on a topic matching `pattern` (or no longer stored). */
  private async onTopic(ids: string[], pattern: string): Promise<string[]> {
    const rows = await this.client.hmget(this.keys.events, ...ids);
    return ids.filter((_, i) => {
      const json = rows[i];
      return !json || topicMatches(pattern, (JSON.parse(json) as HubEvent).topic);
    });
  }
}

/** A letter with its stored status value ('<status>:<JSON {by, at}>', or a bare 'open') applied. */
function withStatusValue(d: DeadLetter, value: string): DeadLetter {
  const colon = value.indexOf(':');
  if (colon < 0) return { ...d, status: value as DeadLetterStatus, resolvedBy: null, resolvedAt: null };
  const { by, at } = JSON.parse(value.slice(colon + 1)) as { by: string | null; at: string | null };
  return { ...d, status: value.slice(0, colon) as DeadLetterStatus, resolvedBy: by, resolvedAt: at };
}

/** The stored status value of a letter: '<status>:<JSON {by, at}>'. */
function statusEntry(change: DeadLetterStatusChange): string {
  const at = change.at === null || change.at === undefined ? null : new Date(change.at).toISOString();
  return `${change.status}:${JSON.stringify({ by: change.by ?? null, at })}`;
}
