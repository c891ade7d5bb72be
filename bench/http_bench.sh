#!/usr/bin/env bash
# HTTP benchmark: wrk against a minimal Beast server (the raw baseline) and
# against bsmd's HTTP bridge, one scenario after the other in one run, all
# on 127.0.0.1 and sharing this machine's cores with wrk.
#   baseline  GET /        bsm_http_baseline_server, fixed 200 JSON body
#   healthz   GET /healthz bsmd                      (target >= 70% of baseline)
#   tell      POST /v1/actors/memory/messages, mode tell, a small
#             MemoryPutRequest; 202 once durable     (target >= 20k req/s,
#                                                     p99 < 10 ms)
# The scenarios run in turn, HTTP_BENCH_REPETITIONS times; each scenario
# reports its median run (by req/s). After each tell run the script waits
# until the memory actor has worked off its backlog, so that the next run
# does not share the cores with it.
# Usage: bench/http_bench.sh [BUILD_DIR]   (make bench-http)
# Environment (defaults in brackets):
#   HTTP_BENCH_REPETITIONS [3]     rounds over the scenarios
#   HTTP_BENCH_DURATION [10]       seconds per measured run
#   HTTP_BENCH_WARMUP [2]          seconds of unrecorded load before each run
#   HTTP_BENCH_CONNECTIONS [64]    wrk connections
#   HTTP_BENCH_THREADS [2]         wrk threads
#   HTTP_BENCH_IO_THREADS [1]      io threads of both servers (bsmd's
#                                  http.io_threads)
#   HTTP_BENCH_DURABILITY [os]     bsmd's store.durability (none|os|fsync)
#   HTTP_BENCH_MAX_DEPTH [10000000] bsmd's mailbox.max_depth: the memory
#                                  actor stores fewer puts per second than
#                                  the bridge accepts, and with the default
#                                  100000 a full mailbox would turn the run
#                                  into 503s; the backlog left after the
#                                  run is reported
#   HTTP_BENCH_SCENARIOS ["baseline healthz tell tell_ping"]
#                                  tell_ping: the same tell, of a PingRequest
#                                  to node_info (a handler that costs
#                                  nothing: the bridge and mailbox alone)
# Writes bench/results/http-<stamp>.json (and http-latest.json) and prints
# the summary of bench/summarize.py (also in http-summary-latest.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/bsmd_lib.sh
build=${1:-build}
repetitions=${HTTP_BENCH_REPETITIONS:-3}
duration=${HTTP_BENCH_DURATION:-10}
warmup=${HTTP_BENCH_WARMUP:-2}
connections=${HTTP_BENCH_CONNECTIONS:-64}
threads=${HTTP_BENCH_THREADS:-2}
io_threads=${HTTP_BENCH_IO_THREADS:-1}
durability=${HTTP_BENCH_DURABILITY:-os}
max_depth=${HTTP_BENCH_MAX_DEPTH:-10000000}
scenarios=${HTTP_BENCH_SCENARIOS:-baseline healthz tell tell_ping}
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsm-http-bench.XXXXXX")
pids=()

cleanup() {
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "http_bench: $*" >&2
  exit 1
}

# Starts the baseline server; sets baseline_url and baseline_pid.
start_baseline() {
  local bin="$build/bench/bsm_http_baseline_server"
  [[ -x $bin ]] || fail "$bin not built (ninja -C $build bsm_http_baseline_server)"
  "$bin" --port 0 --threads "$io_threads" >"$tmp/baseline.out" \
    2>"$tmp/baseline.err" &
  pids+=($!)
  local pid=$! port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^port=//p' "$tmp/baseline.out")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || fail "baseline server died: $(cat "$tmp/baseline.err")"
    sleep 0.1
  done
  [[ -n $port ]] || fail "baseline server printed no port"
  baseline_url="http://127.0.0.1:$port"
  baseline_pid=$pid
}

# Starts bsmd on a fresh data dir; sets bsmd_url (from ports.json's "http")
# and bsmd_pid.
start_bsmd() {
  start_bsmd_node "store.durability=$durability" "http.io_threads=$io_threads" \
    "mailbox.max_depth=$max_depth"
  pids+=("$bsmd_pid")
}

# Runs wrk with the given script and URL for $2 seconds; prints wrk's
# JSON line (see bench/http/report.lua).
run_wrk() {
  local script=$1 seconds=$2 url=$3 log=$4
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency \
    -s "bench/http/$script" "$url" >"$log" 2>&1 \
    || fail "wrk failed against $url: $(cat "$log")"
  sed -n 's/^wrk_json=//p' "$log"
}

# One request with curl first: a route that does not answer 2xx is shown
# with its body here (the run still happens, counting non_2xx).
tell_body='{"type":"bsm.v1.MemoryPutRequest","payload":{"agent":"bench","key":"k","value":"dmFsdWU="},"mode":"tell"}' # as in post_tell.lua
ping_body='{"type":"bsm.v1.PingRequest","payload":{"sequence":"1"},"mode":"tell"}' # as in post_tell_ping.lua
smoke_test() {
  local name=$1 method=$2 url=$3 status body=$tell_body
  [[ $name == tell_ping ]] && body=$ping_body
  local args=(-sS -o "$tmp/$name.smoke" -w '%{http_code}' --max-time 10)
  [[ $method == POST ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  status=$(curl "${args[@]}" "$url" 2>&1) || true
  [[ $status == 2?? ]] || echo "http_bench: warning: $method $url answered $status: $(head -c 500 "$tmp/$name.smoke" 2>/dev/null)" >&2
}

# Envelopes still queued for the memory actor (GET /v1/actors), or null.
memory_backlog() {
  curl -fsS --max-time 10 "$bsmd_url/v1/actors" 2>/dev/null | python3 -c '
import json, sys
try:
    actors = json.load(sys.stdin)["actors"]
    print(next(a["mailbox_depth"] for a in actors if a["name"] == "memory"))
except Exception:
    print("null")' || echo null
}

# Waits until the memory actor's backlog is 0 (at most 300 s); prints the
# seconds it took, or null if it did not get there.
wait_drained() {
  local start=$SECONDS depth
  while ((SECONDS - start < 300)); do
    depth=$(memory_backlog)
    [[ $depth == null ]] && break
    ((depth == 0)) && { echo $((SECONDS - start)); return; }
    sleep 0.5
  done
  echo null
}

# Warms up, measures, and appends one run's object to $tmp/runs.
run_scenario() {
  local name=$1 method=$2 script=$3 url=$4 server_pid=$5 rep=$6
  smoke_test "$name" "$method" "$url"
  run_wrk "$script" "$warmup" "$url" "$tmp/$name-warmup.txt" >/dev/null
  local measured
  measured=$(run_wrk "$script" "$duration" "$url" "$tmp/$name.txt")
  [[ -n $measured ]] || fail "no result line from wrk: $(cat "$tmp/$name.txt")"
  kill -0 "$server_pid" 2>/dev/null || fail "the server of '$name' died during its run"
  cp "$tmp/$name.txt" "$out/http-$name-$stamp-$rep.txt"
  local backlog=null drain=null
  if [[ $name == tell ]]; then
    backlog=$(memory_backlog)
    drain=$(wait_drained)
  fi
  python3 - "$name" "$method" "$url" "$measured" "$rep" "$backlog" "$drain" \
    >>"$tmp/runs" <<'EOF'
import json, sys
name, method, url, w, rep, backlog, drain = sys.argv[1:8]
w = json.loads(w)
extra = {}
if name == "tell":
    extra = {"backlog": json.loads(backlog), "drain_s": json.loads(drain)}
print(json.dumps({
    "name": name, "method": method, "url": url, "rep": int(rep),
    "rps": w["rps"], "requests": w["requests"], "duration_s": w["duration_s"],
    "p50_ms": w["p50_ms"], "p90_ms": w["p90_ms"], "p99_ms": w["p99_ms"],
    "p999_ms": w["p999_ms"], "max_ms": w["max_ms"], "mean_ms": w["mean_ms"],
    "non_2xx": w["non_2xx"], "errors": sum(w["errors"].values()),
    "error_kinds": w["errors"], **extra}))
EOF
}

# Share of CPU time idle over one second before the runs: the servers and
# wrk need both cores, so a busy machine shows up here.
cpu_idle_percent() {
  local a b
  read -ra a < <(head -1 /proc/stat)
  sleep 1
  read -ra b < <(head -1 /proc/stat)
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((100 * (b[4] - a[4]) / (total > 0 ? total : 1)))
}
idle_before=$(cpu_idle_percent)
: >"$tmp/runs"
for scenario in $scenarios; do
  case $scenario in
    baseline) [[ -v baseline_url ]] || start_baseline ;;
    healthz | tell | tell_ping) [[ -v bsmd_url ]] || start_bsmd ;;
    *) fail "unknown scenario '$scenario' (baseline, healthz, tell, tell_ping)" ;;
  esac
done
for rep in $(seq "$repetitions"); do
  for scenario in $scenarios; do
    case $scenario in
      baseline) run_scenario baseline GET get.lua "$baseline_url/" "$baseline_pid" "$rep" ;;
      healthz) run_scenario healthz GET get.lua "$bsmd_url/healthz" "$bsmd_pid" "$rep" ;;
      tell) run_scenario tell POST post_tell.lua "$bsmd_url/v1/actors/memory/messages" "$bsmd_pid" "$rep" ;;
      tell_ping) run_scenario tell_ping POST post_tell_ping.lua "$bsmd_url/v1/actors/node_info/messages" "$bsmd_pid" "$rep" ;;
    esac
  done
done
idle_after=$(cpu_idle_percent)

json="$out/http-$stamp.json"
python3 - "$tmp/runs" "$json" <<EOF
import json, os, platform, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
scenarios = []
for name in dict.fromkeys(r["name"] for r in runs):
    mine = sorted((r for r in runs if r["name"] == name), key=lambda r: r["rps"])
    median = dict(mine[(len(mine) - 1) // 2])
    median["rps_runs"] = [r["rps"] for r in sorted(mine, key=lambda r: r["rep"])]
    scenarios.append(median)
doc = {
    "kind": "http", "date": "$stamp", "host": platform.node(),
    "cpus": os.cpu_count(), "idle_before_percent": $idle_before,
    "idle_after_percent": $idle_after,
    "settings": {"connections": $connections, "wrk_threads": $threads,
                 "duration_s": $duration, "warmup_s": $warmup,
                 "repetitions": $repetitions, "io_threads": $io_threads,
                 "durability": "$durability",
                 "mailbox_max_depth": $max_depth},
    "scenarios": scenarios,
    "runs": runs,
}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
cp "$json" "$out/http-latest.json"
python3 bench/summarize.py "$json" | tee "$out/http-summary-latest.txt"
