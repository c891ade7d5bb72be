-- wrk script of bench/tasks_bench.py: POST /v1/tasks, a `message` task
-- whose target is node_info and whose message is a PingRequest (a handler
-- that costs next to nothing), due at once. Every 202 is a task on disk;
-- the runner counts how many of them reach `succeeded` from /metrics.
--   wrk -c64 -t2 -d10s -s bench/http/post_task.lua http://127.0.0.1:PORT
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.path = "/v1/tasks"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"actor":"node_info","type":"bsm.v1.PingRequest",'
  .. '"payload":{"sequence":"1"}}'

done = report.done
