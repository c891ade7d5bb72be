-- wrk script: plain GET of the URL's path (baseline `/`, bsmd `/healthz`),
-- with the JSON summary line of report.lua.
--   wrk -c64 -t2 -d10s -s bench/http/get.lua http://127.0.0.1:PORT/healthz
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

done = report.done
