-- Shared by the wrk scripts of bench/http_bench.sh: with
-- HTTP_BENCH_AUTH_HEADER_FILE set, every request carries the header line
-- that file holds ("Authorization: Bearer <token>"). A file rather than
-- an argument or variable, so that the token shows in no process listing.
local path = os.getenv("HTTP_BENCH_AUTH_HEADER_FILE")
if path ~= nil and path ~= "" then
  local file = assert(io.open(path, "r"))
  local line = file:read("*l") or ""
  file:close()
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  assert(name ~= nil, "no header line in " .. path)
  wrk.headers[name] = value
end
