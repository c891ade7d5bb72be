-- wrk script: non-streaming POST /v1/chat/completions (API.md,
-- "OpenAI-compatible") with one user message: each request is one turn of
-- the agent named by `model`, without a session (the client sends the
-- conversation), so no session history is read or written.
--   AGENT_BENCH_AGENT=legal \
--     wrk -c16 -t1 -d10s -s bench/http/chat_completions.lua http://127.0.0.1:PORT
-- Environment: AGENT_BENCH_AGENT [legal], AGENT_BENCH_INPUT [What should
-- an NDA contain?].
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local json_string = report.json_string

local agent = os.getenv("AGENT_BENCH_AGENT") or "legal"
local input = os.getenv("AGENT_BENCH_INPUT") or "What should an NDA contain?"

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":' .. json_string(agent) ..
  ',"messages":[{"role":"user","content":' .. json_string(input) .. '}]}'

done = report.done
