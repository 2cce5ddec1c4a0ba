-- Records one transaction and returns the velocity features of each of its entity keys, in one
-- round trip. Mirrors entityFeatures() in src/domain/velocity.ts; the shared conformance suite
-- (test/conformance/velocity-store.ts) holds both to the same results.
--
-- KEYS[1]     the transaction id's "seen" marker: a repeated id is never counted twice
-- KEYS[2..n]  one sorted set per entity key: score = event time (ms), member = the event
-- ARGV[1] transaction id   ARGV[2] event time (ms)   ARGV[3] member
-- ARGV[4] retention (ms)   ARGV[5] max events per key
-- ARGV[6..] the entity kind of KEYS[2..n]
--
-- Member: id US micros US account US merchant US country US device (US = \31, empty = absent),
-- where micros is the amount in integer millionths.
--
-- Every value returned is an integer (counts, sums in micros, milliseconds): formatting floats
-- in Lua (string.format '%.17g') cost about 0.7 µs each, more than the rest of the script for
-- a small key. The caller turns them into features.
local txid = ARGV[1]
local t = tonumber(ARGV[2])
local member = ARGV[3]
local retention = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local W1, W2, W3, W4 = 60000, 600000, 3600000, 86400000
local US = '\31'
local find, sub = string.find, string.sub

-- Arguments built once: Lua turns a number into a string with sprintf, about 0.7 µs each.
local tArg = ARGV[2]
local windowStart = '(' .. (t - W4)
local trimBelow = tostring(t - retention)
local keepRank = tostring(-(maxEvents + 1))
local ttl = ARGV[4]

local isNew = redis.call('SET', KEYS[1], '1', 'NX', 'PX', ttl)
local out = {}
local n = 0
local function put(v)
  n = n + 1
  out[n] = v
end

for i = 2, #KEYS do
  local key = KEYS[i]
  local kind = ARGV[4 + i]
  if isNew then redis.call('ZADD', key, tArg, member) end

  local rows = redis.call('ZRANGEBYSCORE', key, windowStart, tArg, 'WITHSCORES')
  local c1, c2, c3, c4 = 0, 0, 0, 0
  local s1, s2, s3, s4 = 0, 0, 0, 0
  local wantAccount = kind == 'account' or kind == 'ip' or kind == 'device'
  local isAccount = kind == 'account'
  local seen1h, n1h = wantAccount and {} or nil, 0
  local countries, nCountries = isAccount and {} or nil, 0
  local devices, nDevices = isAccount and {} or nil, 0
  local accounts, nAccounts = kind == 'device' and {} or nil, 0
  local latest, earlierCount, earlierSum = nil, 0, 0

  for j = 1, #rows, 2 do
    local m = rows[j]
    local ts = tonumber(rows[j + 1])
    local d = t - ts
    local p1 = find(m, US, 1, true)
    local p2 = find(m, US, p1 + 1, true)
    local micros = tonumber(sub(m, p1 + 1, p2 - 1))
    c4 = c4 + 1
    s4 = s4 + micros
    if d < W3 then
      c3 = c3 + 1
      s3 = s3 + micros
      if d < W2 then
        c2 = c2 + 1
        s2 = s2 + micros
        if d < W1 then
          c1 = c1 + 1
          s1 = s1 + micros
        end
      end
    end
    if wantAccount then
      local p3 = find(m, US, p2 + 1, true)
      local account = sub(m, p2 + 1, p3 - 1)
      if isAccount then
        local p4 = find(m, US, p3 + 1, true)
        local p5 = find(m, US, p4 + 1, true)
        if d < W3 and p4 > p3 + 1 then
          local merchant = sub(m, p3 + 1, p4 - 1)
          if not seen1h[merchant] then
            seen1h[merchant] = true
            n1h = n1h + 1
          end
        end
        if p5 > p4 + 1 then
          local country = sub(m, p4 + 1, p5 - 1)
          if not countries[country] then
            countries[country] = true
            nCountries = nCountries + 1
          end
        end
        if p5 < #m then
          local device = sub(m, p5 + 1)
          if not devices[device] then
            devices[device] = true
            nDevices = nDevices + 1
          end
        end
        if sub(m, 1, p1 - 1) ~= txid then
          if latest == nil or ts > latest then latest = ts end
          earlierCount = earlierCount + 1
          earlierSum = earlierSum + micros
        end
      elseif kind == 'ip' then
        if d < W3 and not seen1h[account] then
          seen1h[account] = true
          n1h = n1h + 1
        end
      elseif not accounts[account] then
        accounts[account] = true
        nAccounts = nAccounts + 1
      end
    end
  end

  -- Trimmed after reading, so that even a very late event counts itself. Trimming against this
  -- event's time is the same as against the key's newest: the newest trimmed when it arrived.
  if isNew then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', trimBelow)
    redis.call('ZREMRANGEBYRANK', key, 0, keepRank)
    redis.call('PEXPIRE', key, ttl)
  end

  put(c1) put(s1) put(c2) put(s2) put(c3) put(s3) put(c4) put(s4)
  if kind == 'account' then
    put(n1h) put(nCountries) put(nDevices)
    if latest == nil then put(-1) else put(t - latest) end
    put(earlierCount) put(earlierSum)
  elseif kind == 'ip' then
    put(n1h)
  elseif kind == 'device' then
    put(nAccounts)
  end
end

return out
