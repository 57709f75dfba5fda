/**
 * Lua for the event log, subscriber offsets, dead letters and key-value documents: each is one
 * atomic step on the server (see session-scripts.ts for the conventions).
 */

/**
 * ARGV: prefix, then per event: id, offset, ts (ms), stored JSON. Returns the ids that were new.
 * Like the SQL insert: a repeated id is skipped, an offset clash rejects the whole batch.
 */
const APPEND_EVENTS = `
local P = ARGV[1]
local seenIds, seenOffsets, fresh = {}, {}, {}
for i = 2, #ARGV, 4 do
  local id, offset = ARGV[i], ARGV[i + 1]
  if not seenIds[id] and redis.call('HEXISTS', P .. 'events', id) == 0 then
    if seenOffsets[offset] or #redis.call('ZRANGEBYSCORE', P .. 'events:by-offset', offset, offset, 'LIMIT', 0, 1) > 0 then
      return redis.error_reply('ERR offset ' .. offset .. ' is already taken')
    end
    seenOffsets[offset] = true
    fresh[#fresh + 1] = i
  end
  seenIds[id] = true
end
local ids = {}
for _, i in ipairs(fresh) do
  redis.call('HSET', P .. 'events', ARGV[i], ARGV[i + 3])
  redis.call('ZADD', P .. 'events:by-offset', ARGV[i + 1], ARGV[i])
  redis.call('ZADD', P .. 'events:by-time', ARGV[i + 2], ARGV[i])
  ids[#ids + 1] = ARGV[i]
end
return ids
`;

/** ARGV: prefix, lower offset bound ('(n' or '-inf'), count. Returns offset, JSON, offset, JSON… */
const READ_EVENTS = `
local P = ARGV[1]
local scored = redis.call('ZRANGEBYSCORE', P .. 'events:by-offset', ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #scored, 2 do
  out[#out + 1] = scored[i + 1]
  out[#out + 1] = redis.call('HGET', P .. 'events', scored[i])
end
return out
`;

/** ARGV: prefix, agent id, offset. A late or replayed ack must never move a subscriber back. */
const ADVANCE_OFFSET = `
local current = redis.call('HGET', ARGV[1] .. 'agent-offsets', ARGV[2])
if not current or tonumber(ARGV[3]) > tonumber(current) then
  redis.call('HSET', ARGV[1] .. 'agent-offsets', ARGV[2], ARGV[3])
end
return 1
`;

/**
 * ARGV: prefix, id, at (ms), JSON, and a '<status>:<JSON>' value for a letter stored resolved
 * already ('' for an open one). The first letter with an id is kept.
 */
const ADD_DEAD_LETTER = `
if redis.call('HSETNX', ARGV[1] .. 'dead-letters', ARGV[2], ARGV[4]) == 1 then
  redis.call('ZADD', ARGV[1] .. 'dead-letters:by-time', ARGV[3], ARGV[2])
  if ARGV[5] and ARGV[5] ~= '' then redis.call('HSET', ARGV[1] .. 'dead-letters:status', ARGV[2], ARGV[5]) end
end
return 1
`;

/**
 * ARGV: prefix, id, expected status, new status, '<status>:<JSON>' to store. A letter's status
 * lives in 'dead-letters:status' (absent: open). Returns 1 when set, 0 for no such letter, or
 * the stored '<status>:<JSON>' (or 'open') when the letter is not in the expected status.
 */
const SET_DEAD_LETTER_STATUS = `
local P = ARGV[1]
if redis.call('HEXISTS', P .. 'dead-letters', ARGV[2]) == 0 then return 0 end
local stored = redis.call('HGET', P .. 'dead-letters:status', ARGV[2])
local status = 'open'
if stored then status = string.match(stored, '^(%a+):') end
if status ~= ARGV[3] then return stored or 'open' end
redis.call('HSET', P .. 'dead-letters:status', ARGV[2], ARGV[5])
return 1
`;

/** ARGV: prefix, key, expected version (0: absent), JSON. Returns {1, new version} or {0, current}. */
const PUT_VALUE = `
local P, key = ARGV[1], ARGV[2]
local stored = redis.call('HGET', P .. 'kv', key)
local version = 0
if stored then version = tonumber(string.match(stored, '^(%d+):')) end
if version ~= tonumber(ARGV[3]) then return { 0, version } end
version = version + 1
redis.call('HSET', P .. 'kv', key, version .. ':' .. ARGV[4])
redis.call('ZADD', P .. 'kv:keys', 0, key)
return { 1, version }
`;

export const LOG_SCRIPTS = {
  hubAppendEvents: APPEND_EVENTS,
  hubReadEvents: READ_EVENTS,
  hubAdvanceOffset: ADVANCE_OFFSET,
  hubAddDeadLetter: ADD_DEAD_LETTER,
  hubSetDeadLetterStatus: SET_DEAD_LETTER_STATUS,
  hubPutValue: PUT_VALUE,
} as const;
