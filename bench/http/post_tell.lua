-- wrk script: durable `tell` through the HTTP bridge (API.md, "Message
-- injection"): every request puts one key into the memory actor's durable
-- mailbox and is answered 202 once the message is stored.
--   wrk -c64 -t2 -d10s -s bench/http/post_tell.lua http://127.0.0.1:PORT
-- `value` is bytes, hence base64 in the protobuf JSON mapping ("value").
-- A bearer token if bearer.lua is given one.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")
dofile(dir .. "bearer.lua")

wrk.method = "POST"
wrk.path = "/v1/actors/memory/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"bsm.v1.MemoryPutRequest",' ..
  '"payload":{"agent":"bench","key":"k","value":"dmFsdWU="},"mode":"tell"}'

done = report.done
