/**
 * Key prefix of a store opened without one: a `store:` namespace under the hub's default
 * REDIS_PREFIX, so the store's keys sit beside (never among) the cluster's heartbeats and channels.
 */
export const DEFAULT_REDIS_KEY_PREFIX = 'agent-hub:store:';

/**
 * Every key the Redis store uses, all under one prefix so that several hubs (or test files) can
 * share a server. The Lua scripts build the same names from the prefix they are given; the layout
 * here is the one source of truth for both.
 *
 * | key                               | type   | holds                                             |
 * |-----------------------------------|--------|---------------------------------------------------|
 * | session:<id>                      | hash   | one session's fields, `agent:<id>` entries        |
 * | messages:<id>                     | list   | its history; seq n is at index n - 1              |
 * | message-ids:<id>                  | hash   | message id → '<version>:<first seq>:<count>' of   |
 * |                                   |        | the write that stored it (retries find it)        |
 * | index:updated                     | zset   | '<updatedAt, 15 digits>:<id>' at score 0 (lex)    |
 * | index:updated:state:<state>       | zset   | the same, per state                               |
 * | index:updated:member:<agent>      | zset   | the same, per member                              |
 * | index:activity:<state>            | zset   | id scored by last activity (lifecycle sweep)      |
 * | events                            | hash   | event id → stored event JSON                      |
 * | events:by-offset / events:by-time | zset   | event id scored by offset / by ts (ms)            |
 * | agent-offsets                     | hash   | agent id → acknowledged offset                    |
 * | dead-letters, dead-letters:by-time| hash, zset | id → JSON; id scored by `at`                  |
 * | dead-letters:status               | hash   | id → '<status>:<JSON {by, at}>' (absent: open)    |
 * | agents                            | hash   | agent id → record JSON                            |
 * | kv, kv:keys                       | hash, zset | key → '<version>:<json>'; keys in lex order   |
 * | checkpoints:<thread>              | hash   | '["<ns>","<id>"]' → checkpoint record JSON      |
 * | checkpoint-writes:<thread>        | hash   | '["<ns>","<cp>","<task>",<idx>]' → write JSON   |
 * | checkpoint-threads                | set    | thread ids with checkpoints or writes         |
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  session(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  messages(id: string): string {
    return `${this.prefix}messages:${id}`;
  }

  messageIds(id: string): string {
    return `${this.prefix}message-ids:${id}`;
  }

  get updated(): string {
    return `${this.prefix}index:updated`;
  }

  updatedInState(state: string): string {
    return `${this.prefix}index:updated:state:${state}`;
  }

  updatedWithMember(agentId: string): string {
    return `${this.prefix}index:updated:member:${agentId}`;
  }

  activityInState(state: string): string {
    return `${this.prefix}index:activity:${state}`;
  }

  get events(): string {
    return `${this.prefix}events`;
  }

  get eventsByOffset(): string {
    return `${this.prefix}events:by-offset`;
  }

  get eventsByTime(): string {
    return `${this.prefix}events:by-time`;
  }

  get agentOffsets(): string {
    return `${this.prefix}agent-offsets`;
  }

  get deadLetters(): string {
    return `${this.prefix}dead-letters`;
  }

  get deadLettersByTime(): string {
    return `${this.prefix}dead-letters:by-time`;
  }

  /** Dead letter id → '<status>:<JSON {by, at}>'; absent: open. */
  get deadLetterStatus(): string {
    return `${this.prefix}dead-letters:status`;
  }

  get agents(): string {
    return `${this.prefix}agents`;
  }

  get kv(): string {
    return `${this.prefix}kv`;
  }

  get kvKeys(): string {
    return `${this.prefix}kv:keys`;
  }

  checkpoints(threadId: string): string {
    return `${this.prefix}checkpoints:${threadId}`;
  }

  checkpointWrites(threadId: string): string {
    return `${this.prefix}checkpoint-writes:${threadId}`;
  }

  get checkpointThreads(): string {
    return `${this.prefix}checkpoint-threads`;
  }
}

// 15 digits hold every epoch ms until the year 33658, and fixed width makes lex order time order.
const LISTING_TIME_DIGITS = 15;
const LISTING_TIME_MAX = 10 ** LISTING_TIME_DIGITS - 1;

/** An epoch-ms time as it leads a listing-index entry. */
export function listingTime(ms: number): string {
  const clamped = Math.min(Math.max(Math.trunc(ms), 0), LISTING_TIME_MAX);
  return String(clamped).padStart(LISTING_TIME_DIGITS, '0');
}

/** The listing-index entry of a session: '<updatedAt>:<id>'. */
export function listingEntry(updatedAt: number, id: string): string {
  return `${listingTime(updatedAt)}:${id}`;
}

export function parseListingEntry(entry: string): { updatedAt: number; id: string } {
  return { updatedAt: Number(entry.slice(0, LISTING_TIME_DIGITS)), id: entry.slice(LISTING_TIME_DIGITS + 1) };
}
