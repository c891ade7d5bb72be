-- wrk script of bench/sessions_bench.sh: exactly SESSIONS_BENCH_COUNT chat
-- turns through POST /v1/agents/{agent}/chat, each opening a new session
-- "<SESSIONS_BENCH_PREFIX>-<n>" (n = 1..count) whose input names it
-- ("<SESSIONS_BENCH_INPUT> [<session id>]"), so a later read of the
-- session's history can tell it is this session's turn. Run with -t1:
-- the count and the ids are per thread.
--   SESSIONS_BENCH_AGENT=runner SESSIONS_BENCH_PREFIX=s1 \
--   SESSIONS_BENCH_COUNT=1000 SESSIONS_BENCH_DONE=/tmp/done \
--     wrk -t1 -c16 -d600s -s bench/http/new_sessions.lua http://127.0.0.1:PORT
-- wrk runs for its duration; once every turn is answered the thread stops
-- and creates SESSIONS_BENCH_DONE, and the runner sends wrk SIGINT. Until
-- then a connection with no turn left to send asks GET /healthz (not
-- counted). Prints "sessions_answered=<n>" (200s), "sessions_failed=<n>"
-- (any other status) and "first_failure=<status> <body>" after wrk's own
-- summary.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local agent = os.getenv("SESSIONS_BENCH_AGENT") or "runner"
local input = os.getenv("SESSIONS_BENCH_INPUT") or "What should an NDA contain?"
local prefix = os.getenv("SESSIONS_BENCH_PREFIX") or "s"
local count = tonumber(os.getenv("SESSIONS_BENCH_COUNT") or "0") or 0
local done_file = os.getenv("SESSIONS_BENCH_DONE")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

-- Globals, so that done() can read them with thread:get.
sent = 0
answered = 0
failed = 0
first_failure = ""
local path = "/v1/agents/" .. agent .. "/chat"
local headers = {["Content-Type"] = "application/json"}
local filler = nil
local finished = false

-- wrk 4.1 checks the script by calling request() once on thread 1's
-- state, after init(), and never sends that request: it must not take a
-- session id. The filler is made in init(), once wrk.headers has the Host
-- header.
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
  if sent >= count then
    return filler
  end
  sent = sent + 1
  local session = prefix .. "-" .. sent
  local body = '{"input":' .. report.json_string(input .. " [" .. session .. "]")
    .. ',"session_id":"' .. session .. '"}'
  return wrk.format("POST", path, headers, body)
end

local function finish()
  finished = true
  if done_file then
    local f = io.open(done_file, "w")
    if f then
      f:write(string.format("%d %d\n", answered, failed))
      f:close()
    end
  end
  wrk.thread:stop()
end

function response(status, headers, body)
  if finished or not body:find('"session_id"', 1, true)
      and status == 200 then
    return -- a /healthz filler
  end
  if status == 200 then
    answered = answered + 1
  else
    failed = failed + 1
    if first_failure == "" then
      first_failure = status .. " " .. body:sub(1, 300)
    end
  end
  if answered + failed >= count then
    finish()
  end
end

function done(summary, latency, requests)
  report.done(summary, latency, requests)
  local a, f, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    a = a + (thread:get("answered") or 0)
    f = f + (thread:get("failed") or 0)
    if first == "" then
      first = thread:get("first_failure") or ""
    end
  end
  io.write(string.format("sessions_answered=%d\nsessions_failed=%d\n", a, f))
  io.write("first_failure=" .. (first:gsub("\n", " ")) .. "\n")
end
