-- wrk script for Keryu's benchmarks: GET or POST a list of paths, bounded in count as well as time.
--
-- wrk -t T -c C ... -s paths.lua URL -- METHOD PATHS_FILE EXPECTED CAP ONCE T C/T [BODY]
--   METHOD        GET or POST
--   PATHS_FILE    one path per line; the T threads split it (thread i takes lines i, i+T, i+2T, ...)
--   EXPECTED      answers with another status are counted as errors (e.g. 302 for a scan POST)
--   CAP           stop after this many answers in all (0: bounded by time only)
--   ONCE          "once": never reuse a path (distinct codes): a thread stops before running out; else "loop"
--   T, C/T        threads, connections per thread (each thread runs in its own Lua state)
--   BODY          form body for POSTs
-- One line "BENCH-JSON {...}" on stdout carries the figures (latencies in microseconds).

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local method = args[1]
  local file = args[2]
  expected = tonumber(args[3])
  local cap = tonumber(args[4])
  once = args[5] == "once"
  local nthreads = tonumber(args[6])
  local conns = tonumber(args[7])
  local body = args[8]
  local all = {}
  for line in io.lines(file) do
    if line ~= "" then all[#all + 1] = line end
  end
  paths = {}
  for i = id, #all, nthreads do paths[#paths + 1] = all[i] end
  if #paths == 0 then
    -- without a path wrk.format() requests "/": refuse rather than measure the wrong page
    error("thread " .. id .. " has no path (" .. #all .. " paths for " .. nthreads .. " threads)")
  end
  index, sent, ok, bad = 0, 0, 0, 0
  limit = cap > 0 and math.floor(cap / nthreads) or 0
  if once then
    -- at most one request per connection is still in flight when a thread stops: leave room for them
    local room = #paths - conns
    if limit == 0 or limit > room then limit = room end
  end
  wrk.method = method
  if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  index = index + 1
  if index > #paths then
    index = 1  -- only reached without ONCE
  end
  sent = sent + 1
  return wrk.format(nil, paths[index])
end

function response(status, headers, body)
  if status == expected then ok = ok + 1 else bad = bad + 1 end
  if limit > 0 and ok + bad >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local s, o, b = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    o = o + t:get("ok")
    b = b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"duration_us": %d, "responses": %d, "sent": %d, "ok": %d, "bad_status": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.duration, summary.requests, s, o, b, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
