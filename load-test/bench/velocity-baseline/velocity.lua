-- BENCH BASELINE ONLY: src/adapters/redis/velocity.lua before busy-key tiles and the CPU cuts,
-- unchanged, for load-test/bench/velocity-shards.ts. Not used by the service.
-- Records one transaction in entity keys and returns their velocity features. On Redis Cluster a
-- transaction runs this once per entity it carries (account, card, device, ip, merchant), all
-- sent together: one round trip of wall time. On one Redis it runs once for all of them, the
-- same work without four more calls' overhead. Same results as entityFeatures() in
-- src/domain/velocity.ts: the shared conformance suite (test/conformance/velocity-store.ts) and
-- its random-arrival properties hold both to it.
--
-- Every key the script touches is in KEYS, and all keys of one entity carry its hash tag
-- (`...v:{account:42}...`), so they live in one slot: one entity's call runs on Redis Cluster,
-- atomically, like on one Redis.
--
-- KEYS, for each entity in ARGV[7..] order:
--   the entity's sorted set: score = event time (ms), member = the event
--   the entity's window state (hash)
--   the entity kind's distinct-value hashes, in DISTINCT[kind] order
--   this transaction id's "seen" marker in this entity: a repeated id is never counted twice in
--   the entity, whatever happened to the transaction's other entities (on other shards)
-- ARGV[1] transaction id   ARGV[2] event time (ms)   ARGV[3] member
-- ARGV[4] retention (ms)   ARGV[5] max events per key   ARGV[6] small-key threshold
-- ARGV[7..] the entity kinds
--
-- Member: id US units US micros US account US merchant US country US device (US = \31, empty =
-- absent), where units + micros / 10^6 is the amount: whole units and millionths are summed
-- apart, each exact in a Lua number (a double) up to 2^53, and combined in TypeScript.
--
-- Sliding windows kept incrementally. The state hash holds, for the key's newest event time L,
-- the count, unit sum and micro sum of every window (L - W, L], and each distinct hash (merchants
-- 1h, countries 24h, devices 24h, accounts) holds each value's number of events in its window.
-- A transaction at t >= L moves the windows from L to t: only the events that fall out are read,
-- so its cost does not grow with the number of events a key holds. A late transaction (t < L) or
-- a repeated id is answered by reading the key's last 24 h (about 1 µs per event read).
--
-- Every value returned is an integer (counts, sums, milliseconds): formatting floats in Lua
-- (string.format '%.17g') cost about 0.7 µs each.
local txid = ARGV[1]
local t = tonumber(ARGV[2])
local member = ARGV[3]
local retention = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
-- Up to this many events (64 by default), one read finds what leaves all four windows (fewer
-- commands); above it, four narrow reads (less data).
local SMALL_KEY = tonumber(ARGV[6])
local W = { 60000, 600000, 3600000, 86400000 }
local US = '\31'
local find, sub = string.find, string.sub

-- '(' .. x as an exclusive bound. Lua prints numbers with '%.14g': exact below 10^14 ms (year
-- 5138); later event times (up to year 9999) need all their digits.
local function after(x)
  if x < 1e14 and x > -1e14 then return '(' .. x end
  return '(' .. string.format('%.0f', x)
end

-- Arguments built once: Lua turns a number into a string with sprintf, about 0.7 µs each.
local tArg = ARGV[2]
local dayStart = after(t - W[4])
local ttl = ARGV[4]

-- Distinct features by entity kind: window index, event field (their hashes follow the state).
local DISTINCT = {
  account = { { 3, 'merchant' }, { 4, 'country' }, { 4, 'device' } },
  ip = { { 3, 'account' } },
  device = { { 4, 'account' } },
}
local NONE = {}
local wanted = 0
for i = 7, #ARGV do wanted = wanted + 3 + #(DISTINCT[ARGV[i]] or NONE) end
if #KEYS ~= wanted then
  return redis.error_reply('velocity: ' .. (#ARGV - 6) .. ' entities take ' .. wanted .. ' keys')
end

local function fields(m)
  local p1 = find(m, US, 1, true)
  local p2 = find(m, US, p1 + 1, true)
  local p3 = find(m, US, p2 + 1, true)
  local p4 = find(m, US, p3 + 1, true)
  local p5 = find(m, US, p4 + 1, true)
  local p6 = find(m, US, p5 + 1, true)
  return {
    id = sub(m, 1, p1 - 1),
    units = tonumber(sub(m, p1 + 1, p2 - 1)),
    micros = tonumber(sub(m, p2 + 1, p3 - 1)),
    account = sub(m, p3 + 1, p4 - 1),
    merchant = sub(m, p4 + 1, p5 - 1),
    country = sub(m, p5 + 1, p6 - 1),
    device = sub(m, p6 + 1),
  }
end

local new = fields(member)
local out = {}
local n = 0
local function put(v)
  n = n + 1
  out[n] = v
end

-- Records the transaction in the entity whose keys start at KEYS[first] and puts its features.
local function record(first, kind)
  local specs = DISTINCT[kind] or NONE
  local key, stateKey, seenKey = KEYS[first], KEYS[first + 1], KEYS[first + 2 + #specs]
  local hashes = {}
  for k = 1, #specs do hashes[k] = KEYS[first + 1 + k] end

  -- An event enters (delta 1) or leaves (delta -1) window w of the state.
  local function move(st, f, w, delta)
    st.c[w] = st.c[w] + delta
    st.u[w] = st.u[w] + delta * f.units
    st.m[w] = st.m[w] + delta * f.micros
    for k = 1, #specs do
      local sp = specs[k]
      local v = f[sp[2]]
      if sp[1] == w and v ~= '' then
        local h = hashes[k]
        if redis.call('HINCRBY', h, v, delta) <= 0 then redis.call('HDEL', h, v) end
      end
    end
  end

  -- Events about to be removed leave every window of the state they are still in.
  local function forget(st, rows)
    for j = 1, #rows, 2 do
      local ts = tonumber(rows[j + 1])
      local f = nil
      for w = 1, 4 do
        if ts > st.L - W[w] then
          f = f or fields(rows[j])
          move(st, f, w, -1)
        end
      end
    end
  end

  local function loadState()
    local v = redis.call('HMGET', stateKey, 'L', 'c1', 'u1', 'm1', 'c2', 'u2', 'm2', 'c3', 'u3',
      'm3', 'c4', 'u4', 'm4')
    if not v[1] then return nil end
    return {
      L = tonumber(v[1]),
      c = { tonumber(v[2]), tonumber(v[5]), tonumber(v[8]), tonumber(v[11]) },
      u = { tonumber(v[3]), tonumber(v[6]), tonumber(v[9]), tonumber(v[12]) },
      m = { tonumber(v[4]), tonumber(v[7]), tonumber(v[10]), tonumber(v[13]) },
    }
  end

  -- Builds the state from the events a key holds (a key whose state expired apart from it).
  local function rebuild()
    local st = { L = t, c = { 0, 0, 0, 0 }, u = { 0, 0, 0, 0 }, m = { 0, 0, 0, 0 } }
    local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    -- A new key: its distinct hashes expire with it, so there is nothing to clear.
    if #top == 0 then return st end
    for k = 1, #hashes do redis.call('DEL', hashes[k]) end
    st.L = tonumber(top[2])
    local rows = redis.call('ZRANGEBYSCORE', key, after(st.L - W[4]), st.L, 'WITHSCORES')
    for j = 1, #rows, 2 do
      local d = st.L - tonumber(rows[j + 1])
      local f = fields(rows[j])
      for w = 1, 4 do
        if d < W[w] then move(st, f, w, 1) end
      end
    end
    return st
  end

  -- The features of t read from the key's events in (t - 24h, t]: for late and repeated events.
  local function scan()
    local rows = redis.call('ZRANGEBYSCORE', key, dayStart, tArg, 'WITHSCORES')
    local c, u, m = { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }
    local sets, nd = {}, {}
    for k = 1, #specs do
      sets[k] = {}
      nd[k] = 0
    end
    local latest, earlierCount, earlierUnits, earlierMicros = nil, 0, 0, 0
    for j = 1, #rows, 2 do
      local f = fields(rows[j])
      local ts = tonumber(rows[j + 1])
      local d = t - ts
      for w = 1, 4 do
        if d < W[w] then
          c[w] = c[w] + 1
          u[w] = u[w] + f.units
          m[w] = m[w] + f.micros
        end
      end
      for k = 1, #specs do
        local sp = specs[k]
        local v = f[sp[2]]
        if d < W[sp[1]] and v ~= '' and not sets[k][v] then
          sets[k][v] = true
          nd[k] = nd[k] + 1
        end
      end
      if f.id ~= txid then
        if latest == nil or ts > latest then latest = ts end
        earlierCount = earlierCount + 1
        earlierUnits = earlierUnits + f.units
        earlierMicros = earlierMicros + f.micros
      end
    end
    for w = 1, 4 do
      put(c[w])
      put(u[w])
      put(m[w])
    end
    for k = 1, #specs do put(nd[k]) end
    if kind == 'account' then
      if latest == nil then put(-1) else put(t - latest) end
      put(earlierCount)
      put(earlierUnits)
      put(earlierMicros)
    end
  end

  local isNew = redis.call('SET', seenKey, '1', 'NX', 'PX', ttl)
  local st, size = nil, 0
  if isNew then
    st = loadState() or rebuild()
    redis.call('ZADD', key, tArg, member)
    size = redis.call('ZCARD', key)
  end

  if isNew and t >= st.L then
    -- Move every window from L to t: the events in (L - W, t - W] fall out.
    if t > st.L and size <= SMALL_KEY then
      -- A small key: one read of (L - 24h, t - 1m] holds every window's leavers.
      local rows = redis.call('ZRANGEBYSCORE', key, after(st.L - W[4]), t - W[1], 'WITHSCORES')
      for j = 1, #rows, 2 do
        local ts = tonumber(rows[j + 1])
        local f = nil
        for w = 1, 4 do
          if ts > st.L - W[w] and ts <= t - W[w] then
            f = f or fields(rows[j])
            move(st, f, w, -1)
          end
        end
      end
      st.L = t
    elseif t > st.L then
      -- A busy key: read only each window's leavers, however many events it holds.
      for w = 1, 4 do
        local gone = redis.call('ZRANGEBYSCORE', key, after(st.L - W[w]), t - W[w], 'WITHSCORES')
        for j = 1, #gone, 2 do move(st, fields(gone[j]), w, -1) end
      end
      st.L = t
    end
    for w = 1, 4 do move(st, new, w, 1) end
    for w = 1, 4 do
      put(st.c[w])
      put(st.u[w])
      put(st.m[w])
    end
    for k = 1, #hashes do put(redis.call('HLEN', hashes[k])) end
    if kind == 'account' then
      -- The newest other event at or before t; at most one of the two is this one.
      local last = redis.call('ZREVRANGEBYSCORE', key, tArg, dayStart, 'WITHSCORES', 'LIMIT', 0, 2)
      local since = -1
      for j = 1, #last, 2 do
        if since < 0 and sub(last[j], 1, find(last[j], US, 1, true) - 1) ~= txid then
          since = t - tonumber(last[j + 1])
        end
      end
      put(since)
      put(st.c[4] - 1)
      put(st.u[4] - new.units)
      put(st.m[4] - new.micros)
    end
  else
    if isNew then
      -- A late event still enters the windows of L it falls in.
      for w = 1, 4 do
        if t > st.L - W[w] then move(st, new, w, 1) end
      end
    end
    scan()
  end

  if isNew then
    -- Trimmed after reading, so that even a very late event counts itself. Events the state
    -- still counts (only when the retention is shorter than a day) leave it as they go.
    local cut = t - retention
    if retention < W[4] then
      forget(st, redis.call('ZRANGEBYSCORE', key, '-inf', cut, 'WITHSCORES'))
    end
    size = size - redis.call('ZREMRANGEBYSCORE', key, '-inf', cut)
    if size > maxEvents then
      forget(st, redis.call('ZRANGE', key, 0, size - maxEvents - 1, 'WITHSCORES'))
      redis.call('ZREMRANGEBYRANK', key, 0, size - maxEvents - 1)
    end
    redis.call('HSET', stateKey, 'L', st.L, 'c1', st.c[1], 'u1', st.u[1], 'm1', st.m[1],
      'c2', st.c[2], 'u2', st.u[2], 'm2', st.m[2], 'c3', st.c[3], 'u3', st.u[3], 'm3', st.m[3],
      'c4', st.c[4], 'u4', st.u[4], 'm4', st.m[4])
    redis.call('PEXPIRE', key, ttl)
    redis.call('PEXPIRE', stateKey, ttl)
    for k = 1, #hashes do redis.call('PEXPIRE', hashes[k], ttl) end
  end
end

local first = 1
for i = 7, #ARGV do
  record(first, ARGV[i])
  first = first + 3 + #(DISTINCT[ARGV[i]] or NONE)
end

return out
