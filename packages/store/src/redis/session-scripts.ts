/**
 * Lua for every session write. A script runs atomically on the server, so the version check and
 * the write it guards cannot be split by another writer: of two writers at the same version
 * exactly one wins. Times arrive as decimal strings and are stored untouched (Lua prints large
 * numbers in exponent form); the scripts build key names from the prefix in ARGV[1] exactly as
 * RedisKeys does. Refusals come back as {'refused', version, state} for the caller to explain.
 */

const PRELUDE = `
local P = ARGV[1]

local function sessionKey(id) return P .. 'session:' .. id end

-- The fields the indexes are built from, or nil when the session does not exist.
local function indexed(key)
  local f = redis.call('HMGET', key, 'state', 'entry', 'members', 'lastActivityAt', 'version')
  if not f[1] then return nil end
  return { state = f[1], entry = f[2], members = cjson.decode(f[3]), activity = f[4], version = f[5] }
end

local function reindex(id, old, new)
  if old then
    redis.call('ZREM', P .. 'index:updated', old.entry)
    redis.call('ZREM', P .. 'index:updated:state:' .. old.state, old.entry)
    for _, m in ipairs(old.members) do redis.call('ZREM', P .. 'index:updated:member:' .. m, old.entry) end
    redis.call('ZREM', P .. 'index:activity:' .. old.state, id)
  end
  if new then
    redis.call('ZADD', P .. 'index:updated', 0, new.entry)
    redis.call('ZADD', P .. 'index:updated:state:' .. new.state, 0, new.entry)
    for _, m in ipairs(new.members) do redis.call('ZADD', P .. 'index:updated:member:' .. m, 0, new.entry) end
    redis.call('ZADD', P .. 'index:activity:' .. new.state, new.activity, id)
  end
end

-- RPUSH in slices: unpack of thousands of arguments would overflow the Lua stack.
local function pushAll(key, first)
  for i = first, #ARGV, 1000 do
    redis.call('RPUSH', key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
end

local function refused(old)
  if not old then return { 'refused' } end
  return { 'refused', old.version, old.state }
end

local function removeSession(id)
  local key = sessionKey(id)
  local old = indexed(key)
  if not old then return 0 end
  reindex(id, old, nil)
  redis.call('DEL', key, P .. 'messages:' .. id, P .. 'message-ids:' .. id)
  return 1
end

-- Notes each message id against the write that stored it: '<version>:<first seq>:<count>'.
local function noteIds(id, ids, version, first, count)
  local note = version .. ':' .. first .. ':' .. count
  for i = 1, #ids, 500 do
    local args = {}
    for j = i, math.min(i + 499, #ids) do
      args[#args + 1] = ids[j]
      args[#args + 1] = note
    end
    redis.call('HSET', P .. 'message-ids:' .. id, unpack(args))
  end
end

-- The earlier write that all of these ids name, nil if none does, or false if they are a mix
-- (new and known ids, or ids of several writes).
local function earlierWrite(id, ids)
  local write, known = nil, 0
  for i = 1, #ids, 1000 do
    local found = redis.call('HMGET', P .. 'message-ids:' .. id, unpack(ids, i, math.min(i + 999, #ids)))
    for j = 1, #found do
      local w = found[j]
      if w then
        if known > 0 and w ~= write then return false end
        write, known = w, known + 1
      end
    end
  end
  if known == 0 then return nil end
  if known < #ids then return false end
  return write
end
`;

/** ARGV: prefix, id, at, listing time, members JSON, metadata JSON, message ids JSON, message JSON... */
const CREATE_SESSION = `${PRELUDE}
local id, at = ARGV[2], ARGV[3]
local key = sessionKey(id)
if redis.call('EXISTS', key) == 1 then return redis.error_reply('ERR duplicate session id ' .. id) end
local count = #ARGV - 7
redis.call('HSET', key, 'id', id, 'state', 'active', 'version', 1, 'members', ARGV[5], 'metadata', ARGV[6],
  'messageCount', count, 'createdAt', at, 'updatedAt', at, 'lastActivityAt', at, 'entry', ARGV[4] .. ':' .. id)
pushAll(P .. 'messages:' .. id, 8)
noteIds(id, cjson.decode(ARGV[7]), 1, 1, count)
reindex(id, nil, indexed(key))
return 1
`;

/**
 * ARGV: prefix, id, expected version ('' = any), at, listing time, message ids JSON, message JSON...
 * A retry (every id stored by one earlier write) is answered before the version and state checks:
 * {'duplicate', session hash, version, first seq, messages}; a mix of ids {'idconflict'}.
 */
const APPEND_MESSAGES = `${PRELUDE}
local id, at = ARGV[2], ARGV[4]
local key = sessionKey(id)
local ids = cjson.decode(ARGV[6])
local old = indexed(key)
if old and #ids > 0 then
  local write = earlierWrite(id, ids)
  if write == false then return { 'idconflict' } end
  if write then
    local version, first, count = string.match(write, '^(%d+):(%d+):(%d+)$')
    first, count = tonumber(first), tonumber(count)
    local messages = redis.call('LRANGE', P .. 'messages:' .. id, first - 1, first + count - 2)
    return { 'duplicate', redis.call('HGETALL', key), version, first, messages }
  end
end
if not old or old.state == 'expired' or (ARGV[3] ~= '' and old.version ~= ARGV[3]) then return refused(old) end
local count = #ARGV - 6
local first = tonumber(redis.call('HGET', key, 'messageCount')) + 1
pushAll(P .. 'messages:' .. id, 7)
local version = redis.call('HINCRBY', key, 'version', 1)
redis.call('HINCRBY', key, 'messageCount', count)
redis.call('HSET', key, 'state', 'active', 'updatedAt', at, 'lastActivityAt', at, 'entry', ARGV[5] .. ':' .. id)
noteIds(id, ids, version, first, count)
reindex(id, old, indexed(key))
return { 'ok', redis.call('HGETALL', key) }
`;

/**
 * ARGV: prefix, id, expected version ('' = any), '1' if an expired session may be written, at,
 * listing time, new state, metadata JSON, members JSON, agent id, agent state JSON; an empty
 * string leaves that part alone, and an empty agent state removes the agent's entry.
 */
const UPDATE_SESSION = `${PRELUDE}
local id, at = ARGV[2], ARGV[5]
local key = sessionKey(id)
local old = indexed(key)
if not old or (old.state == 'expired' and ARGV[4] ~= '1') or (ARGV[3] ~= '' and old.version ~= ARGV[3]) then
  return refused(old)
end
redis.call('HINCRBY', key, 'version', 1)
redis.call('HSET', key, 'state', ARGV[7], 'updatedAt', at, 'lastActivityAt', at, 'entry', ARGV[6] .. ':' .. id)
if ARGV[8] ~= '' then redis.call('HSET', key, 'metadata', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('HSET', key, 'members', ARGV[9]) end
if ARGV[10] ~= '' then
  if ARGV[11] == '' then redis.call('HDEL', key, 'agent:' .. ARGV[10])
  else redis.call('HSET', key, 'agent:' .. ARGV[10], ARGV[11]) end
end
reindex(id, old, indexed(key))
return { 'ok', redis.call('HGETALL', key) }
`;

/** ARGV: prefix, idle before, expire before, at, listing time. Returns {idled, expired}. */
const SWEEP_SESSIONS = `${PRELUDE}
local at, entryTime = ARGV[4], ARGV[5]
local function move(from, to, before)
  local moved = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'index:activity:' .. from, '-inf', '(' .. before)) do
    local key = sessionKey(id)
    local old = indexed(key)
    if old then
      redis.call('HINCRBY', key, 'version', 1)
      redis.call('HSET', key, 'state', to, 'updatedAt', at, 'entry', entryTime .. ':' .. id)
      reindex(id, old, indexed(key))
      moved[#moved + 1] = id
    end
  end
  return moved
end
-- Expire before idling, so a session is seen idle by at least one sweep before it expires.
local expired = move('idle', 'expired', ARGV[3])
local idled = move('active', 'idle', ARGV[2])
return { idled, expired }
`;

/** ARGV: prefix, id. Returns 1 if the session existed. */
const DELETE_SESSION = `${PRELUDE}
return removeSession(ARGV[2])
`;

/** ARGV: prefix, before. Returns how many expired sessions were deleted. */
const PURGE_EXPIRED = `${PRELUDE}
local ids = redis.call('ZRANGEBYSCORE', P .. 'index:activity:expired', '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do removeSession(id) end
return #ids
`;

export const SESSION_SCRIPTS = {
  hubCreateSession: CREATE_SESSION,
  hubAppendMessages: APPEND_MESSAGES,
  hubUpdateSession: UPDATE_SESSION,
  hubSweepSessions: SWEEP_SESSIONS,
  hubDeleteSession: DELETE_SESSION,
  hubPurgeExpired: PURGE_EXPIRED,
} as const;
