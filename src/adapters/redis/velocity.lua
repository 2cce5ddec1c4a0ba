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
-- Member: id US amount US account US merchant US country US device (US = \31, empty = absent).
-- The id leads so that members of equal time sort by id, the order the memory store keeps;
-- both then add amounts in the same order and get bit-identical sums.
local txid = ARGV[1]
local t = tonumber(ARGV[2])
local member = ARGV[3]
local retention = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local W = { 60000, 600000, 3600000, 86400000 }
local HOUR = 3600000
local US = '\31'

local function fmt(x)
  return string.format('%.17g', x)
end

-- Same arithmetic as roundAmount(): Math.round(x * 1e6) / 1e6 for x >= 0.
local function round6(x)
  local s = x * 1e6
  if s < 4503599627370496 then s = math.floor(s + 0.5) end
  return s / 1e6
end

local isNew = redis.call('SET', KEYS[1], '1', 'NX', 'PX', retention)
local out = {}

for i = 2, #KEYS do
  local key = KEYS[i]
  local kind = ARGV[4 + i]
  if isNew then redis.call('ZADD', key, t, member) end

  local rows = redis.call('ZRANGEBYSCORE', key, '(' .. fmt(t - W[4]), fmt(t), 'WITHSCORES')
  local c = { 0, 0, 0, 0 }
  local s = { 0, 0, 0, 0 }
  local seen1h, n1h = {}, 0
  local countries, nCountries = {}, 0
  local devices, nDevices = {}, 0
  local accounts, nAccounts = {}, 0
  local latest, earlierCount, earlierSum = nil, 0, 0

  for j = 1, #rows, 2 do
    local m = rows[j]
    local ts = tonumber(rows[j + 1])
    local d = t - ts
    local p1 = string.find(m, US, 1, true)
    local p2 = string.find(m, US, p1 + 1, true)
    local amount = tonumber(string.sub(m, p1 + 1, p2 - 1))
    for w = 1, 4 do
      if d < W[w] then
        c[w] = c[w] + 1
        s[w] = s[w] + amount
      end
    end
    if kind == 'account' or kind == 'ip' or kind == 'device' then
      local p3 = string.find(m, US, p2 + 1, true)
      local account = string.sub(m, p2 + 1, p3 - 1)
      if kind == 'account' then
        local p4 = string.find(m, US, p3 + 1, true)
        local p5 = string.find(m, US, p4 + 1, true)
        local merchant = string.sub(m, p3 + 1, p4 - 1)
        local country = string.sub(m, p4 + 1, p5 - 1)
        local device = string.sub(m, p5 + 1)
        if d < HOUR and merchant ~= '' and not seen1h[merchant] then
          seen1h[merchant] = true
          n1h = n1h + 1
        end
        if country ~= '' and not countries[country] then
          countries[country] = true
          nCountries = nCountries + 1
        end
        if device ~= '' and not devices[device] then
          devices[device] = true
          nDevices = nDevices + 1
        end
        if string.sub(m, 1, p1 - 1) ~= txid then
          if latest == nil or ts > latest then latest = ts end
          earlierCount = earlierCount + 1
          earlierSum = earlierSum + amount
        end
      elseif kind == 'ip' then
        if d < HOUR and not seen1h[account] then
          seen1h[account] = true
          n1h = n1h + 1
        end
      elseif not accounts[account] then
        accounts[account] = true
        nAccounts = nAccounts + 1
      end
    end
  end

  -- Trimmed after reading, so that even a very late event counts itself.
  if isNew then
    local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(tonumber(top[2]) - retention))
    local n = redis.call('ZCARD', key)
    if n > maxEvents then redis.call('ZREMRANGEBYRANK', key, 0, n - maxEvents - 1) end
    redis.call('PEXPIRE', key, retention)
  end

  for w = 1, 4 do
    out[#out + 1] = tostring(c[w])
    out[#out + 1] = fmt(round6(s[w]))
  end
  if kind == 'account' then
    out[#out + 1] = tostring(n1h)
    out[#out + 1] = tostring(nCountries)
    out[#out + 1] = tostring(nDevices)
    if earlierCount > 0 then
      out[#out + 1] = fmt((t - latest) / 1000)
      out[#out + 1] = fmt(round6(earlierSum / earlierCount))
    else
      out[#out + 1] = ''
      out[#out + 1] = ''
    end
  elseif kind == 'ip' then
    out[#out + 1] = tostring(n1h)
  elseif kind == 'device' then
    out[#out + 1] = tostring(nAccounts)
  end
end

return out
