import type { Redis } from 'ioredis';

/**
 * The Redis side of cluster-wide offsets, as Lua scripts so each step is atomic:
 * - `counter`: the last offset handed out by Redis;
 * - `inflight`: a sorted set of ranges allocated but not yet committed, one member
 *   "<node>|<first offset>" scored by its first offset; its lowest score bounds the watermark;
 * - `epoch`: present while Redis still has the data the nodes put there (absent after a restart
 *   without persistence, which is how every node notices that Redis lost its memory);
 * - `hold`: set for a grace period after such a loss, while the nodes re-add their ranges;
 * - `slot`: hands each node a small number that keeps fallback ranges apart.
 */
export interface OffsetKeys {
  counter: string;
  inflight: string;
  epoch: string;
  hold: string;
  slot: string;
}

/** `counter` keeps the name older hubs used, so a rolling upgrade continues the same sequence. */
export function offsetKeys(counter: string): OffsetKeys {
  return { counter, inflight: `${counter}:inflight`, epoch: `${counter}:epoch`, hold: `${counter}:hold`, slot: `${counter}:slot` };
}

/** The in-flight member of a range; the score is its first offset. */
export const inflightMember = (node: string, first: number) => `${node}|${first}`;

// Lua's `..` prints large numbers in exponent form; %d keeps every digit (offsets stay < 2^53).
const ALLOC = `
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local n = tonumber(ARGV[1])
local last = redis.call('INCRBY', KEYS[1], n)
local first = last - n + 1
redis.call('ZADD', KEYS[2], first, ARGV[2] .. '|' .. string.format('%d', first))
return last`;

const POLL = `
local low = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local counter = redis.call('GET', KEYS[2]) or '0'
local state = 0
if redis.call('EXISTS', KEYS[3]) == 0 then state = 2 elseif redis.call('EXISTS', KEYS[4]) == 1 then state = 1 end
return {low[2] or '', counter, state}`;

/** True when member m belongs to node prefix p ("<node>|"), and not to a node named "<node>|x". */
const OWNED_BY = `
local function owned(m, p) return string.sub(m, 1, #p) == p and not string.find(m, '|', #p + 1, true) end`;

const SYNC = `${OWNED_BY}
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
local reset = 0
if redis.call('EXISTS', KEYS[3]) == 0 or before < tonumber(ARGV[3]) then reset = 1 end
local want = tonumber(ARGV[2])
-- Nothing anywhere (no counter, an empty log, a node that never saw a number): a new cluster.
if reset == 1 and before == 0 and want == 0 then reset = 2 end
if reset == 1 then
  want = want + tonumber(ARGV[4])
  redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[5])
end
if reset > 0 then redis.call('SET', KEYS[3], ARGV[1]) end
local after = before
if before < want then
  after = want
  redis.call('SET', KEYS[1], string.format('%d', want))
end
local own = ARGV[1] .. '|'
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if owned(m, own) then redis.call('ZREM', KEYS[2], m) end
end
for i = 7, #ARGV do redis.call('ZADD', KEYS[2], ARGV[i], own .. ARGV[i]) end
local slot = -1
if ARGV[6] == '1' then slot = redis.call('INCR', KEYS[5]) % 256 end
return {string.format('%d', before), string.format('%d', after), reset, slot}`;

const RELEASE = `${OWNED_BY}
local own = ARGV[1] .. '|'
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if owned(m, own) then redis.call('ZREM', KEYS[1], m) n = n + 1 end
end
return n`;

// Skipped while Redis is fresh from a loss: the node list is rebuilt by heartbeats meanwhile,
// and a live node missing from it must not lose the ranges it has just re-added.
const SWEEP = `
if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local alive = {}
for i = 1, #ARGV do alive[ARGV[i]] = true end
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local node = string.match(m, '^(.*)|')
  if node and not alive[node] then redis.call('ZREM', KEYS[1], m) n = n + 1 end
end
return n`;

export interface PollReply {
  /** Lowest first offset of any in-flight range, or null when none is in flight. */
  lowest: number | null;
  counter: number;
  /** 'lost': Redis has lost its data and nobody has re-synced yet; 'hold': the grace period after that. */
  state: 'ok' | 'hold' | 'lost';
}

export interface SyncRequest {
  node: string;
  /** Raise the counter to at least this. */
  target: number;
  /** The highest counter value this node has seen: a lower counter means Redis lost its data. */
  seen: number;
  /** Added to the target after a loss, for offsets other nodes had in flight that nobody here saw. */
  margin: number;
  holdMs: number;
  wantSlot: boolean;
  /** First offsets of this node's unsettled ranges: they become its only in-flight entries. */
  ranges: number[];
}

export interface SyncReply {
  before: number;
  after: number;
  /** Redis had lost its data: the margin was added and the hold set (not for a brand-new cluster). */
  reset: boolean;
  slot: number | null;
}

export interface OffsetScripts {
  /** Allocates n offsets and marks them in flight; returns the last one, or null after a data loss. */
  alloc(n: number, node: string): Promise<number | null>;
  poll(): Promise<PollReply>;
  sync(r: SyncRequest): Promise<SyncReply>;
  /** Removes every in-flight entry of a node; returns how many. */
  release(node: string): Promise<number>;
  /** Removes in-flight entries of nodes not in `alive`; -1 when skipped (Redis fresh from a loss). */
  sweep(alive: string[]): Promise<number>;
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

/** Registers the scripts on a client (EVALSHA, with EVAL when Redis has forgotten them). */
export function offsetScripts(redis: Redis, k: OffsetKeys): OffsetScripts {
  const define = (name: string, keys: number, lua: string): ScriptFn => {
    redis.defineCommand(name, { numberOfKeys: keys, lua });
    const fn = (redis as unknown as Record<string, ScriptFn | undefined>)[name];
    if (!fn) throw new Error(`ioredis did not define the "${name}" command`);
    return (...args) => fn.call(redis, ...args);
  };
  const alloc = define('agentHubOffsetAlloc', 3, ALLOC);
  const poll = define('agentHubOffsetPoll', 4, POLL);
  const sync = define('agentHubOffsetSync', 5, SYNC);
  const release = define('agentHubOffsetRelease', 1, RELEASE);
  const sweep = define('agentHubOffsetSweep', 3, SWEEP);
  return {
    async alloc(n, node) {
      const last = Number(await alloc(k.counter, k.inflight, k.epoch, n, node));
      return last < 0 ? null : last;
    },
    async poll() {
      const [low, counter, state] = (await poll(k.inflight, k.counter, k.epoch, k.hold)) as [string, string, number];
      return {
        lowest: low === '' ? null : Number(low),
        counter: Number(counter),
        state: state === 2 ? 'lost' : state === 1 ? 'hold' : 'ok',
      };
    },
    async sync(r) {
      const args = [r.node, r.target, r.seen, r.margin, r.holdMs, r.wantSlot ? '1' : '0', ...r.ranges];
      const [before, after, reset, slot] = (await sync(k.counter, k.inflight, k.epoch, k.hold, k.slot, ...args)) as [
        string,
        string,
        number,
        number,
      ];
      return { before: Number(before), after: Number(after), reset: reset === 1, slot: slot >= 0 ? slot : null };
    },
    async release(node) {
      return Number(await release(k.inflight, node));
    },
    async sweep(alive) {
      return Number(await sweep(k.inflight, k.epoch, k.hold, ...alive));
    },
  };
}
