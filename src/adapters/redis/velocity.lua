-- Records one transaction in entity keys and returns their velocity features. On Redis Cluster a
-- transaction runs this once per entity it carries (account, card, device, ip, merchant), all
-- sent together: one round trip of wall time. On one Redis it runs once for all of them, the
-- same work without four more calls' overhead. Same results as the memory store
-- (src/adapters/memory/memory-velocity-store.ts, over entityFeatures() in src/domain/velocity.ts):
-- the shared conformance suite (test/conformance/velocity-store.ts) and its random-arrival
-- properties hold both to it.
--
-- Every key the script touches is in KEYS, and all keys of one entity carry its hash tag
-- (`...v:{account:42}...`), so they live in one slot: one entity's call runs on Redis Cluster,
-- atomically, like on one Redis.
--
-- KEYS, for each entity in ARGV[9..] order:
--   the entity's sorted set of raw events: score = event time (ms), member = the event
--   the entity's window state (a string: the msgpack numbers below)
--   the entity's tiles (hash: tile index -> msgpack count, units, micros), busy keys only
--   the entity kind's distinct-value sorted sets, in DISTINCT[kind] order: value -> its latest
--   event time
--   (ARGV[8] = 'entity') this transaction id's "seen" marker in this entity: a repeated id is
--   never counted twice in the entity, whatever happened to its other entities (on other shards)
-- then (ARGV[8] = 'tx' or 'first', one Redis only) one marker for the transaction, holding the
-- event keys it was counted in: the same guarantee with one key instead of one per entity;
-- then (ARGV[8] = 'first') the transaction's stored answer and its claim (the idempotency keys of
-- src/adapters/redis/redis-decision-cache.ts).
-- ARGV[1] transaction id   ARGV[2] event time (ms)   ARGV[3] member
-- ARGV[4] retention (ms)   ARGV[5] raw events kept per key (busy-key threshold)
-- ARGV[6] small-key threshold   ARGV[7] tile width (ms)   ARGV[8] marker mode
-- ARGV[9..] kinds, or with mode 'first': ARGV[9] payload hash, ARGV[10] claim TTL (ms), then kinds.
--
-- Mode 'first' is the scorer's first step in one call: when an answer is stored for the id it
-- returns {'stored', answer} and records nothing; when another payload holds the claim,
-- {'claimed', its hash} and records nothing; else it takes (or keeps) the claim, records the
-- transaction and returns {'recorded', features...}. Three commands' round trips and dispatch
-- become one, and a replay or a conflict no longer reads the entities' last 24 h.
--
-- Member: id US units US micros US account US merchant US country US device (US = \31, empty =
-- absent), where units + micros / 10^6 is the amount: whole units and millionths are summed
-- apart, each exact in a Lua number (a double) up to 2^53, and combined in TypeScript.
--
-- Sliding windows kept incrementally. The state holds, for the key's newest event time L, the
-- count, unit sum and micro sum of every window (L - W, L], the number of raw events and tiles,
-- and when the keys' TTLs were last refreshed. A transaction at t >= L moves the windows from L
-- to t: only the events (and tiles) that fall out are read, so its cost does not grow with the
-- number of events a key holds. A late transaction (t < L) or a repeated id is answered by
-- reading the key's last 24 h of raw events (about 1 µs per event read), and its tiles.
--
-- Busy keys. A key keeps at most ARGV[5] raw events; above that its oldest events are folded
-- into tiles of ARGV[7] ms (count, units, micros per tile, msgpack). A folded event
-- counts in a window when its tile overlaps the window: each window's start is rounded down to
-- a tile boundary for folded events only, so a busy key's counts and sums are never below the
-- exact ones, and above them by at most the folded events of the one tile at the window's start.
-- Memory per busy key (MEMORY USAGE, Redis 7.0): about 155 bytes per raw event, about 70 bytes
-- per tile, at most retention / tile + 1 tiles (25 h of 1-minute tiles: 1,501), under 200 bytes
-- of state, plus its distinct values (about 100 bytes each). The integration test holds a busy
-- key to 170 bytes per raw event + 80 per tile + 2 KB; README "Busy keys".
--
-- Distinct features come from each value's latest event time, not from the raw events, so a busy
-- key's distinct counts stay exact for in-order events; for a late event on a busy key they may
-- also count values seen only after it (never fewer than exact).
--
-- Cost: every redis.call costs about 1 µs of command dispatch, so the script makes few: the
-- state is one string read and written once, every key's TTL is refreshed at most every
-- retention / 8 of wall time (TIME) or when the key is created, a new entity is found with one
-- EXISTS (and its distinct counts need no ZCOUNT: its sets hold this event's values alone), the
-- raw events are trimmed only when the cut has passed the oldest one (the state keeps a lower
-- bound of their times; most calls trim nothing and send no command for it),
-- seconds_since_last of an in-order event is t - L (no read), and distinct counts are one ZADD
-- and one ZCOUNT per feature. Measured on the 2-core VM with load-test/bench/velocity-ab.ts
-- (simulator traffic, most entities new, 32 in flight, one Redis 7), 2026-12-02 evening: about
-- 115 µs per call, 36-40 µs of it in the commands it sends (INFO commandstats). Most of the
-- rest is creating the keys of new entities: on the same Redis a script that ZADDs to 10 new
-- keys costs 24.6 µs, with a PEXPIRE each 51.5 µs, doing nothing 2.7 µs (docs/perf/README.md).
--
-- Every value returned is an integer (counts, sums, milliseconds): formatting floats in Lua
-- (string.format '%.17g') cost about 0.7 µs each.
local txid = ARGV[1]
local t = tonumber(ARGV[2])
local member = ARGV[3]
local retention = tonumber(ARGV[4])
local maxRaw = tonumber(ARGV[5])
-- Up to this many events (64 by default), one read finds what leaves all four windows (fewer
-- commands); above it, four narrow reads (less data).
local SMALL_KEY = tonumber(ARGV[6])
local R = tonumber(ARGV[7])
local mode = ARGV[8]
local perTx = mode ~= 'entity'
local idem = mode == 'first'
local FIRST_KIND = idem and 11 or 9
local W = { 60000, 600000, 3600000, 86400000 }
local US = '\31'
local find, sub, floor = string.find, string.sub, math.floor
local mpack, munpack = cmsgpack.pack, cmsgpack.unpack

-- '(' .. x as an exclusive bound. Lua prints numbers with '%.14g': exact below 10^14 ms (year
-- 5138); later event times (up to year 9999) need all their digits.
local function int(x)
  if x < 1e14 and x > -1e14 then return x end
  return string.format('%.0f', x)
end
local function after(x) return '(' .. int(x) end

-- Arguments built once: Lua turns a number into a string with sprintf, about 0.7 µs each.
local tArg = ARGV[2]
local dayStart = after(t - W[4])
local markerTtl = ARGV[4]
-- Every key but the markers lives this long after its last refresh, which comes at most SLACK
-- after a write: an idle key expires between one retention and RETAIN after its last event.
local SLACK = floor(retention / 8)
local RETAIN = retention + SLACK
local retainArg = int(RETAIN)

-- Distinct features by entity kind: window index, event field (their sets follow the tiles).
local DISTINCT = {
  account = { { 3, 'merchant' }, { 4, 'country' }, { 4, 'device' } },
  ip = { { 3, 'account' } },
  device = { { 4, 'account' } },
}
local NONE = {}
local PER_ENTITY = perTx and 3 or 4
local wanted = (perTx and 1 or 0) + (idem and 2 or 0)
for i = FIRST_KIND, #ARGV do wanted = wanted + PER_ENTITY + #(DISTINCT[ARGV[i]] or NONE) end
if #KEYS ~= wanted then
  return redis.error_reply('velocity: ' .. (#ARGV - FIRST_KIND + 1) .. ' entities take ' ..
    wanted .. ' keys')
end

if idem then
  local stored = redis.call('GET', KEYS[#KEYS - 1])
  if stored then return { 'stored', stored } end
  -- SET ... NX GET (Redis >= 7.0): takes the claim unless one is held, answers the held one.
  local held = redis.call('SET', KEYS[#KEYS], ARGV[9], 'NX', 'GET', 'PX', ARGV[10])
  if held and held ~= ARGV[9] then return { 'claimed', held } end
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
if idem then
  out[1] = 'recorded'
  n = 1
end
local function put(v)
  n = n + 1
  out[n] = v
end

local wall = nil
local function wallMs()
  if wall == nil then
    local tm = redis.call('TIME')
    wall = tonumber(tm[1]) * 1000 + floor(tonumber(tm[2]) / 1000)
  end
  return wall
end

-- Which entities this transaction was counted in already (one marker for the whole call).
local counted = nil
if perTx then
  local marker = KEYS[idem and #KEYS - 2 or #KEYS]
  local all = { '' }
  local first = 1
  for i = FIRST_KIND, #ARGV do
    all[#all + 1] = KEYS[first]
    first = first + PER_ENTITY + #(DISTINCT[ARGV[i]] or NONE)
  end
  all[#all + 1] = ''
  local value = table.concat(all, US)
  if not redis.call('SET', marker, value, 'NX', 'PX', markerTtl) then
    local before = redis.call('GET', marker) or ''
    counted = {}
    local more = false
    for j = 2, #all - 1 do
      if find(before, US .. all[j] .. US, 1, true) then
        counted[all[j]] = true
      else
        more = true
        before = before .. all[j] .. US
      end
    end
    if more then redis.call('SET', marker, before, 'KEEPTTL') end
  end
end

local function tileField(k) return int(k) end

-- Bit k of the state's `e`: distinct set k exists and has a TTL (set on creation or refresh; a
-- set goes only by expiring, and the state with it), so a new value needs no PEXPIRE.
local function hasTtl(st, k) return floor(st.e / 2 ^ (k - 1)) % 2 == 1 end

-- Records the transaction in the entity whose keys start at KEYS[first] and puts its features.
local function record(first, kind)
  local specs = DISTINCT[kind] or NONE
  local key, stateKey, tilesKey = KEYS[first], KEYS[first + 1], KEYS[first + 2]
  local sets = {}
  for k = 1, #specs do sets[k] = KEYS[first + 2 + k] end

  -- An event (or a tile: its count and sums) enters (delta 1) or leaves (-1) window w.
  local function move(st, c, u, m, w, delta)
    st.c[w] = st.c[w] + delta * c
    st.u[w] = st.u[w] + delta * u
    st.m[w] = st.m[w] + delta * m
  end

  -- The tiles with index in [lo, hi] as {k, count, units, micros}: one HMGET for a short range,
  -- else every tile (the range of an idle key can span far more indices than there are tiles).
  local function tilesIn(st, lo, hi)
    local got = {}
    if st.nt == 0 or hi < lo then return got end
    if lo < st.k0 then lo = st.k0 end
    if hi < lo then return got end
    if hi - lo < 64 then
      local names = {}
      for k = lo, hi do names[#names + 1] = tileField(k) end
      local v = redis.call('HMGET', tilesKey, unpack(names))
      for j = 1, #names do
        if v[j] then
          local c, u, m = munpack(v[j])
          got[#got + 1] = { lo + j - 1, c, u, m }
        end
      end
    else
      local v = redis.call('HGETALL', tilesKey)
      for j = 1, #v, 2 do
        local k = tonumber(v[j])
        if k >= lo and k <= hi then
          local c, u, m = munpack(v[j + 1])
          got[#got + 1] = { k, c, u, m }
        end
      end
    end
    return got
  end

  local function loadState()
    local s = redis.call('GET', stateKey)
    if not s then return nil end
    local v = { munpack(s) }
    local st = {
      L = v[1],
      c = { v[2], v[3], v[4], v[5] },
      u = { v[6], v[7], v[8], v[9] },
      m = { v[10], v[11], v[12], v[13] },
      n = v[14],
      nt = v[15],
      k0 = v[16],
      x = v[17],
      e = v[18],
      -- A lower bound of the raw events' times (false: unknown, a state saved before it was
      -- kept): nothing older than it is held, so no trim is due before the cut passes it.
      o = v[19] or false,
    }
    -- Past its TTL the other keys may be gone: read what is left instead.
    if wallMs() >= st.x + RETAIN - 1000 or wallMs() < st.x then return nil end
    return st
  end

  -- Builds the state from the raw events and tiles a key holds (a new key, or one whose state
  -- expired or was lost apart from them); the distinct sets get back the values of raw events.
  local function rebuild()
    local st = { L = nil, c = { 0, 0, 0, 0 }, u = { 0, 0, 0, 0 }, m = { 0, 0, 0, 0 }, n = 0,
      nt = 0, k0 = 0, x = -1, e = 0, o = t }
    -- A new entity (the common case) costs one call here. With none of its keys there, its
    -- distinct counts after this event are known without reading them (`fresh`).
    if redis.call('EXISTS', key, tilesKey, unpack(sets)) == 0 then
      st.fresh = true
      return st
    end
    local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    st.nt = redis.call('HLEN', tilesKey)
    if #top == 0 and st.nt == 0 then return st end
    st.n = redis.call('ZCARD', key)
    if #top > 0 then st.L = tonumber(top[2]) end
    local rows = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    if #rows > 0 then st.o = tonumber(rows[2]) end
    local tiles = {}
    if st.nt > 0 then
      local v = redis.call('HGETALL', tilesKey)
      local k0 = nil
      for j = 1, #v, 2 do
        local k = tonumber(v[j])
        local c, u, m = munpack(v[j + 1])
        tiles[#tiles + 1] = { k, c, u, m }
        if k0 == nil or k < k0 then k0 = k end
        if st.L == nil or k * R > st.L then st.L = k * R end
      end
      st.k0 = k0
    end
    for j = 1, #rows, 2 do
      local ts = tonumber(rows[j + 1])
      local f = fields(rows[j])
      for w = 1, 4 do
        if ts > st.L - W[w] then move(st, 1, f.units, f.micros, w, 1) end
      end
      for k = 1, #specs do
        local v = f[specs[k][2]]
        if v ~= '' then redis.call('ZADD', sets[k], 'GT', rows[j + 1], v) end
      end
    end
    for _, tile in ipairs(tiles) do
      for w = 1, 4 do
        if tile[1] * R + R > st.L - W[w] then move(st, tile[2], tile[3], tile[4], w, 1) end
      end
    end
    return st
  end

  -- The state's TTL is renewed with the others' (KEEPTTL otherwise: SET ... PX costs about
  -- 2 µs more than a plain SET).
  local function saveState(st, renew)
    local v = mpack(st.L, st.c[1], st.c[2], st.c[3], st.c[4], st.u[1], st.u[2], st.u[3], st.u[4],
      st.m[1], st.m[2], st.m[3], st.m[4], st.n, st.nt, st.k0, st.x, st.e, st.o)
    if renew then
      redis.call('SET', stateKey, v, 'PX', retainArg)
    else
      redis.call('SET', stateKey, v, 'KEEPTTL')
    end
  end

  -- Distinct values of the kind's features: from the raw events of a late event on a key
  -- without tiles (exact), else from each value's latest time above the applied retention cut.
  local function distinct(st, lPrev, rows)
    for k = 1, #specs do
      local sp = specs[k]
      local lower = t - W[sp[1]]
      if lPrev ~= nil and lPrev - retention > lower then lower = lPrev - retention end
      if rows == nil and st.fresh then
        -- A new entity's set holds this event's value alone, if it has one (t > lower).
        if new[sp[2]] ~= '' then put(1) else put(0) end
      elseif rows == nil then
        put(redis.call('ZCOUNT', sets[k], after(lower), '+inf'))
      else
        local seen, nd = {}, 0
        for j = 1, #rows, 2 do
          local v = fields(rows[j])[sp[2]]
          if t - tonumber(rows[j + 1]) < W[sp[1]] and v ~= '' and not seen[v] then
            seen[v] = true
            nd = nd + 1
          end
        end
        put(nd)
      end
    end
  end

  -- The features of t read from the key's raw events in (t - 24h, t] and its tiles: for late
  -- and repeated events.
  local function scan(st, lPrev)
    local rows = redis.call('ZRANGEBYSCORE', key, dayStart, tArg, 'WITHSCORES')
    local c, u, m = { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }
    local latest, self = nil, nil
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
      if f.id ~= txid then
        if latest == nil or ts > latest then latest = ts end
      else
        self = f
      end
    end
    if st ~= nil and st.nt > 0 then
      for _, tile in ipairs(tilesIn(st, floor((t - W[4]) / R), floor(t / R))) do
        for w = 1, 4 do
          if tile[1] * R + R > t - W[w] then
            c[w] = c[w] + tile[2]
            u[w] = u[w] + tile[3]
            m[w] = m[w] + tile[4]
          end
        end
      end
    end
    for w = 1, 4 do
      put(c[w])
      put(u[w])
      put(m[w])
    end
    if st ~= nil and st.nt > 0 then distinct(st, lPrev, nil) else distinct(st, lPrev, rows) end
    if kind == 'account' then
      if latest == nil then put(-1) else put(t - latest) end
      -- Every other event of the last 24 h at or before t is earlier; this one is there once.
      self = self or new
      put(c[4] - 1)
      put(u[4] - self.units)
      put(m[4] - self.micros)
    end
  end

  local isNew
  if perTx then
    isNew = counted == nil or not counted[key]
  else
    isNew = redis.call('SET', KEYS[first + 2 + #specs + 1], '1', 'NX', 'PX', markerTtl)
  end
  if not isNew then
    -- A repeat: read only. A key whose state is gone answers from its raw events.
    local st = loadState() or rebuild()
    scan(st, st.L)
    return
  end

  local st = loadState() or rebuild()
  local lPrev = st.L
  -- TTLs: refreshed (below) when the last refresh is SLACK old, and for a new key.
  local renew = wallMs() - st.x >= SLACK
  st.n = st.n + redis.call('ZADD', key, tArg, member)
  if st.o and t < st.o then st.o = t end
  for k = 1, #specs do
    local v = new[specs[k][2]]
    if v ~= '' and redis.call('ZADD', sets[k], 'GT', tArg, v) == 1 and not renew and
        not hasTtl(st, k) then
      -- Perhaps a new set: it must expire even if the key's TTLs are not refreshed again (a
      -- refresh below gives it its TTL anyway).
      redis.call('PEXPIRE', sets[k], retainArg)
      st.e = st.e + 2 ^ (k - 1)
    end
  end

  if lPrev == nil or t >= lPrev then
    local L = lPrev or t
    -- Move every window from L to t: the events in (L - W, t - W] fall out.
    if t > L and st.n <= SMALL_KEY then
      -- A small key: one read of (L - 24h, t - 1m] holds every window's leavers.
      local rows = redis.call('ZRANGEBYSCORE', key, after(L - W[4]), t - W[1], 'WITHSCORES')
      for j = 1, #rows, 2 do
        local ts = tonumber(rows[j + 1])
        local f = nil
        for w = 1, 4 do
          if ts > L - W[w] and ts <= t - W[w] then
            f = f or fields(rows[j])
            move(st, 1, f.units, f.micros, w, -1)
          end
        end
      end
    elseif t > L then
      -- A busy key: read only each window's leavers, however many events it holds.
      for w = 1, 4 do
        local gone = redis.call('ZRANGEBYSCORE', key, after(L - W[w]), t - W[w], 'WITHSCORES')
        for j = 1, #gone, 2 do
          local f = fields(gone[j])
          move(st, 1, f.units, f.micros, w, -1)
        end
      end
    end
    if t > L and st.nt > 0 then
      -- Tiles leave a window when their end passes its start: index in [⌊(L-W)/R⌋, ⌊(t-W)/R⌋-1].
      for w = 1, 4 do
        for _, tile in ipairs(tilesIn(st, floor((L - W[w]) / R), floor((t - W[w]) / R) - 1)) do
          move(st, tile[2], tile[3], tile[4], w, -1)
        end
      end
    end
    st.L = t
    for w = 1, 4 do move(st, 1, new.units, new.micros, w, 1) end
    for w = 1, 4 do
      put(st.c[w])
      put(st.u[w])
      put(st.m[w])
    end
    distinct(st, lPrev, nil)
    if kind == 'account' then
      -- Every other event is at or before L <= t: the newest is L's, if within 24 h.
      if lPrev ~= nil and t - lPrev < W[4] then put(t - lPrev) else put(-1) end
      put(st.c[4] - 1)
      put(st.u[4] - new.units)
      put(st.m[4] - new.micros)
    end
  else
    -- A late event still enters the windows of L it falls in.
    for w = 1, 4 do
      if t > st.L - W[w] then move(st, 1, new.units, new.micros, w, 1) end
    end
    scan(st, lPrev)
  end

  -- Trimmed after reading, so that even a very late event counts itself. Events and tiles the
  -- state still counts (only when the retention is shorter than a day) leave it as they go.
  local cut = t - retention
  -- Nothing to trim while the cut is below every raw event (most calls: no command).
  local due = st.o == false or cut >= st.o
  if due and retention < W[4] then
    local rows = redis.call('ZRANGEBYSCORE', key, '-inf', cut, 'WITHSCORES')
    for j = 1, #rows, 2 do
      local ts = tonumber(rows[j + 1])
      local f = nil
      for w = 1, 4 do
        if ts > st.L - W[w] then
          f = f or fields(rows[j])
          move(st, 1, f.units, f.micros, w, -1)
        end
      end
    end
  end
  if due then
    st.n = st.n - redis.call('ZREMRANGEBYSCORE', key, '-inf', cut)
    local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    -- Empty: any later event lowers it to its own time.
    st.o = head[2] and tonumber(head[2]) or t
  end
  if st.nt > 0 then
    -- Tiles wholly at or before the cut: index <= ⌊(cut + 1) / R⌋ - 1.
    local hi = floor((cut + 1) / R) - 1
    if hi >= st.k0 then
      local names = {}
      for _, tile in ipairs(tilesIn(st, st.k0, hi)) do
        for w = 1, 4 do
          if tile[1] * R + R > st.L - W[w] then move(st, tile[2], tile[3], tile[4], w, -1) end
        end
        names[#names + 1] = tileField(tile[1])
      end
      if #names > 0 then st.nt = st.nt - redis.call('HDEL', tilesKey, unpack(names)) end
      st.k0 = hi + 1
    end
  end

  -- A busy key: its oldest raw events go into their tiles.
  if st.n > maxRaw then
    local rows = redis.call('ZPOPMIN', key, st.n - maxRaw)
    st.n = st.n - #rows / 2
    local sums, order = {}, {}
    for j = 1, #rows, 2 do
      local ts = tonumber(rows[j + 1])
      local f = fields(rows[j])
      local k = floor(ts / R)
      -- Counted as an event while ts > L - W; as a tile while its end is.
      for w = 1, 4 do
        local start = st.L - W[w]
        if ts <= start and k * R + R > start then move(st, 1, f.units, f.micros, w, 1) end
      end
      local s = sums[k]
      if s == nil then
        s = { 0, 0, 0 }
        sums[k] = s
        order[#order + 1] = k
      end
      s[1] = s[1] + 1
      s[2] = s[2] + f.units
      s[3] = s[3] + f.micros
    end
    for _, k in ipairs(order) do
      local s = sums[k]
      local field = tileField(k)
      local old = redis.call('HGET', tilesKey, field)
      if old then
        local c, u, m = munpack(old)
        s[1], s[2], s[3] = s[1] + c, s[2] + u, s[3] + m
      else
        if st.nt == 0 or k < st.k0 then st.k0 = k end
        st.nt = st.nt + 1
        if st.nt == 1 then redis.call('PEXPIRE', tilesKey, retainArg) end
      end
      redis.call('HSET', tilesKey, field, mpack(s[1], s[2], s[3]))
    end
  end

  if renew then
    redis.call('PEXPIRE', key, retainArg)
    if st.nt > 0 then redis.call('PEXPIRE', tilesKey, retainArg) end
    for k = 1, #sets do
      if redis.call('PEXPIRE', sets[k], retainArg) == 1 and not hasTtl(st, k) then
        st.e = st.e + 2 ^ (k - 1)
      end
    end
    st.x = wallMs()
  end
  saveState(st, renew)
end

local at = 1
for i = FIRST_KIND, #ARGV do
  record(at, ARGV[i])
  at = at + PER_ENTITY + #(DISTINCT[ARGV[i]] or NONE)
end

return out
