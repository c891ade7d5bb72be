-- Shared by the wrk scripts of bench/http_bench.sh and bench/agent_bench.sh:
-- `done` prints one JSON line, prefixed "wrk_json=", that the runner parses
-- (latencies in ms); `json_string` quotes a string for a request body.
-- non_2xx is wrk's status error count, i.e. responses with status >= 400
-- (wrk does not count 3xx; none of the benchmarked routes redirects).
local report = {}

function report.done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'wrk_json={"requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"non_2xx":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3,
    latency.max / 1e3, latency.mean / 1e3, e.status,
    e.connect, e.read, e.write, e.timeout))
end

function report.json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

return report
