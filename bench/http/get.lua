-- wrk script: plain GET of the URL's path (baseline `/`, bsmd `/healthz`),
-- with the JSON summary line of report.lua; a bearer token if bearer.lua
-- is given one.
--   wrk -c64 -t2 -d10s -s bench/http/get.lua http://127.0.0.1:PORT/healthz
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")
dofile(dir .. "bearer.lua")

done = report.done
