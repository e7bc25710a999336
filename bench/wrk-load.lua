-- wrk script for the reas benchmark.
-- Usage: wrk ... <url> -s bench/wrk-load.lua -- <METHOD> <activeSeconds>
--
-- Why a script at all: wrk stops a fixed-duration run by dropping the requests in flight, which the
-- server has usually already executed (an INCR we never counted). Here every thread stops issuing
-- requests after <activeSeconds> (a little before wrk's own -d) by handing wrk an empty request, so
-- each connection waits for its last answer and then idles: every request sent is answered and
-- counted, and "count after - count before == successful incs" can be checked exactly.
-- done() prints one JSON line (prefixed REAS_WRK_JSON) so the runner never parses wrk's prose.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } reas_timespec;
int clock_gettime(int clk_id, reas_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("reas_timespec")
local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- setup/done environment: one entry per wrk thread
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- per-thread environment (globals so that done() can read them through thread:get)
startedAt = nil
stoppedAt = nil
local req
local active
local stopAt

function init(args)
  local method = args[1] or "GET"
  active = tonumber(args[2])
  if active == nil then
    error("wrk-load.lua: second script argument (activeSeconds) is required")
  end
  -- An empty body on POST still yields an explicit "Content-Length: 0", as curl would send.
  local body = nil
  if method ~= "GET" and method ~= "HEAD" then
    body = ""
  end
  req = wrk.format(method, nil, nil, body)
end

function request()
  local t = now()
  if stopAt == nil then
    startedAt = t
    stopAt = t + active
  end
  if t >= stopAt then
    if stoppedAt == nil then
      stoppedAt = t
    end
    return ""
  end
  return req
end

function done(summary, latency, _)
  local drained = true
  local first, last = nil, nil
  for _, thread in ipairs(threads) do
    local s = thread:get("startedAt")
    local e = thread:get("stoppedAt")
    if e == nil then
      drained = false
    end
    if s ~= nil and (first == nil or s < first) then first = s end
    if e ~= nil and (last == nil or e > last) then last = e end
  end
  local window = 0
  if first ~= nil and last ~= nil then
    window = last - first
  end
  local e = summary.errors
  io.write(string.format(
    'REAS_WRK_JSON {"durationUs":%d,"requests":%d,"drained":%s,"activeWindowS":%.6f,' ..
    '"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, tostring(drained), window,
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency:percentile(99.9)))
end
