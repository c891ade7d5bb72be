-- wrk script: chat turns through POST /v1/agents/{agent}/chat (API.md,
-- "Agents"), one session per connection: a session's turns never overlap,
-- so the agent never queues a turn behind another of its session.
--   AGENT_BENCH_AGENT=legal AGENT_BENCH_SESSIONS=c16 \
--     wrk -c16 -t1 -d10s -s bench/http/agent_chat.lua http://127.0.0.1:PORT
-- wrk does not say which connection a request goes out on, but it asks a
-- connection for its next request only after that connection's response
-- arrived. So a session id is taken from the pool of sessions whose last
-- turn was answered (its id comes back in the reply's "session_id"), or is
-- new when the pool is empty: at most one turn per session is in flight,
-- and there are as many sessions as connections. The ids are
-- "<AGENT_BENCH_SESSIONS>-<thread>-<n>", so the measured run continues the
-- sessions of its warm-up (same prefix) with their history.
-- Environment: AGENT_BENCH_AGENT [legal], AGENT_BENCH_INPUT [What should
-- an NDA contain?], AGENT_BENCH_SESSIONS [bench], AGENT_BENCH_DELAY_MS [0]
-- (whole milliseconds a connection waits after an answer before its next
-- turn: a paced load below saturation).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local json_string = report.json_string

local agent = os.getenv("AGENT_BENCH_AGENT") or "legal"
local input = os.getenv("AGENT_BENCH_INPUT") or "What should an NDA contain?"
local prefix = os.getenv("AGENT_BENCH_SESSIONS") or "bench"
local pause_ms = tonumber(os.getenv("AGENT_BENCH_DELAY_MS") or "0") or 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

local free = {}
-- A global, so that done() can read it with thread:get.
created = 0
local path = "/v1/agents/" .. agent .. "/chat"
local headers = {["Content-Type"] = "application/json"}
local body_head = '{"input":' .. json_string(input) .. ',"session_id":"'

function request()
  local session = table.remove(free)
  if session == nil then
    created = created + 1
    session = prefix .. "-" .. tostring(thread_id) .. "-" .. created
  end
  return wrk.format("POST", path, headers, body_head .. session .. '"}')
end

if pause_ms > 0 then
  function delay()
    return pause_ms
  end
end

function response(status, headers, body)
  local session = body:match('"session_id":"([^"]*)"')
  if session ~= nil then
    table.insert(free, session)
  end
end

-- Also prints "agent_sessions=<n>": the session ids made, one per
-- connection plus one that wrk's check of the script takes from thread 1
-- and never sends (more means turns failed and their sessions were lost).
function done(summary, latency, requests)
  report.done(summary, latency, requests)
  local sessions = 0
  for _, thread in ipairs(threads) do
    sessions = sessions + (thread:get("created") or 0)
  end
  io.write(string.format("agent_sessions=%d\n", sessions))
end
