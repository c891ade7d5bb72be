-- wrk script of bench/tasks_bench.py: exactly TASKS_BENCH_COUNT tasks
-- accepted (202) through POST /v1/tasks, each a `message` task to
-- node_info (a PingRequest) with priority n % 10 (n = 1..count, so the
-- ten priorities hold a tenth each) and delay_ms TASKS_BENCH_DELAY_MS, so
-- that they stay queued. Run with -t1: the count is per thread.
--   TASKS_BENCH_COUNT=1000000 TASKS_BENCH_DELAY_MS=2592000000 \
--   TASKS_BENCH_DONE=/tmp/done \
--     wrk -t1 -c64 -d900s -s bench/http/queue_tasks.lua http://127.0.0.1:PORT
-- Once `count` are accepted, or TASKS_BENCH_MAX_FAILURES submits were
-- refused, the thread stops and creates TASKS_BENCH_DONE, and the runner
-- sends wrk SIGINT. Until then a connection with no task left to send asks
-- GET /healthz (not counted). Prints "tasks_accepted=<n>",
-- "tasks_failed=<n>" and "first_failure=<status> <body>" after wrk's own
-- summary.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local count = tonumber(os.getenv("TASKS_BENCH_COUNT") or "0") or 0
local delay = tonumber(os.getenv("TASKS_BENCH_DELAY_MS") or "2592000000")
local max_failures = tonumber(os.getenv("TASKS_BENCH_MAX_FAILURES") or "1000")
local done_file = os.getenv("TASKS_BENCH_DONE")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

-- Globals, so that done() can read them with thread:get.
sent = 0
accepted = 0
failed = 0
first_failure = ""
local headers = {["Content-Type"] = "application/json"}
local filler = nil
local finished = false

-- wrk 4.1 calls request() once on thread 1's state after init() to check
-- the script and never sends that request: it must not count.
local checking = false
function init(args)
  checking = thread_id == 1
  filler = wrk.format("GET", "/healthz")
end

function request()
  if checking then
    checking = false
    return filler
  end
  -- Sent less refused: accepted plus in flight.
  if finished or sent - failed >= count then
    return filler
  end
  sent = sent + 1
  local body = '{"actor":"node_info","type":"bsm.v1.PingRequest",'
    .. '"payload":{"sequence":"' .. sent .. '"},"priority":' .. (sent % 10)
    .. ',"delay_ms":' .. string.format("%d", delay) .. '}'
  return wrk.format("POST", "/v1/tasks", headers, body)
end

local function finish()
  finished = true
  if done_file then
    local f = io.open(done_file, "w")
    if f then
      f:write(string.format("%d %d\n", accepted, failed))
      f:close()
    end
  end
  wrk.thread:stop()
end

function response(status, headers, body)
  if finished or (status == 200 and not body:find('"task_id"', 1, true)) then
    return -- a /healthz filler
  end
  if status == 202 then
    accepted = accepted + 1
  else
    failed = failed + 1
    if first_failure == "" then
      first_failure = status .. " " .. body:sub(1, 300)
    end
  end
  if accepted >= count or failed >= max_failures then
    finish()
  end
end

function done(summary, latency, requests)
  report.done(summary, latency, requests)
  local a, f, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    a = a + (thread:get("accepted") or 0)
    f = f + (thread:get("failed") or 0)
    if first == "" then
      first = thread:get("first_failure") or ""
    end
  end
  io.write(string.format("tasks_accepted=%d\ntasks_failed=%d\n", a, f))
  io.write("first_failure=" .. (first:gsub("\n", " ")) .. "\n")
end
