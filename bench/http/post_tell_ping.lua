-- wrk script: durable `tell` of a PingRequest to node_info, whose handler
-- costs next to nothing: what remains is the bridge and the durable
-- mailbox (append, delivery, acknowledgement).
--   wrk -c64 -t2 -d10s -s bench/http/post_tell_ping.lua http://127.0.0.1:PORT
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.path = "/v1/actors/node_info/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"bsm.v1.PingRequest","payload":{"sequence":"1"},"mode":"tell"}'

done = report.done
