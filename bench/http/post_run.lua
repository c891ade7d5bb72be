-- wrk script of bench/workflows_bench.py: POST /v1/workflows/bench-chain/runs
-- (five `message` steps to node_info, each needing the one before), a new
-- run id each time (the node makes it). Every 202 is a run and its first
-- step on disk; the runner counts the runs that end from /metrics.
--   wrk -c16 -t2 -d10s -s bench/http/post_run.lua http://127.0.0.1:PORT
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.path = "/v1/workflows/bench-chain/runs"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input":{}}'

done = report.done
