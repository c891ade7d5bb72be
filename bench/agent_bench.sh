#!/usr/bin/env bash
# Agent benchmark: what the runtime adds to a chat turn beyond the model
# provider's own time, with the local provider (rules and retrieval, no
# language model, microseconds per answer), on 127.0.0.1.
#   1. bsm_agent_bench (Google Benchmark, in process): complete_locally on
#      the request the agent builds for the turn below: the provider's time.
#   2. A bsmd on a fresh data dir, then wrk at each connection count with
#      each scenario:
#      chat         POST /v1/agents/{agent}/chat, one session per connection
#                   (bench/http/agent_chat.lua): the agent reads the
#                   session's history from memory, answers, and appends the
#                   turn (durable, store.durability as set below)
#      completions  POST /v1/chat/completions, non-streaming, one user
#                   message, no session (bench/http/chat_completions.lua)
#      chat-half    chat paced to about half of the rate chat reached at
#                   the same connection count in the same round (list it
#                   after chat): half the rate is a cycle of
#                   2 * conns / rate per connection, of which the answer
#                   itself takes about conns / rate, so each connection
#                   waits floor(1000 * conns / rate) ms, at least 1 (wrk's
#                   delay() counts whole ms), after each answer (at 16
#                   connections 47-49% of the chat rate; at 1 connection
#                   the whole-ms pause paces far lower); the rate reached
#                   is reported
#      Around each measured run /metrics is read; the difference of
#      bsm_agent_turn_overhead_seconds{agent} (turn time minus provider
#      time, measured in the agent actor) gives the overhead quantiles, and
#      with bsm_agent_turn_duration_seconds the mean provider time per turn
#      (bench/agent_report.py).
# Target (issue): the runtime adds under 1 ms p99 per turn.
# Usage: bench/agent_bench.sh [BUILD_DIR]   (make bench-agents)
# Environment (defaults in brackets):
#   AGENT_BENCH_REPETITIONS [3]    rounds over scenarios and connection counts;
#                                  each reports its median run (by turns/s)
#   AGENT_BENCH_DURATION [10]      seconds per measured run
#   AGENT_BENCH_WARMUP [2]         seconds of unrecorded load before each run
#   AGENT_BENCH_CONNECTIONS ["1 16 256"]
#   AGENT_BENCH_THREADS [1]        wrk threads (at most the connections): one
#                                  leaves the other core to bsmd
#   AGENT_BENCH_SCENARIOS ["chat completions"]  (also chat-half)
#   AGENT_BENCH_AGENT [legal]
#   AGENT_BENCH_INPUT ["What should an NDA contain?"]  (answered from the
#                                  agent's knowledge, no tool call)
#   AGENT_BENCH_DURABILITY [os]    bsmd's store.durability (none|os|fsync)
#   AGENT_BENCH_IO_THREADS [1]     bsmd's http.io_threads
# Writes bench/results/agents-<stamp>.json (and agents-latest.json), wrk's
# output per run, and prints the summary (also agents-summary-latest.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/bsmd_lib.sh
build=${1:-build}
repetitions=${AGENT_BENCH_REPETITIONS:-3}
duration=${AGENT_BENCH_DURATION:-10}
warmup=${AGENT_BENCH_WARMUP:-2}
connection_counts=${AGENT_BENCH_CONNECTIONS:-1 16 256}
threads=${AGENT_BENCH_THREADS:-1}
scenarios=${AGENT_BENCH_SCENARIOS:-chat completions}
export AGENT_BENCH_AGENT=${AGENT_BENCH_AGENT:-legal}
export AGENT_BENCH_INPUT=${AGENT_BENCH_INPUT:-What should an NDA contain?}
durability=${AGENT_BENCH_DURABILITY:-os}
io_threads=${AGENT_BENCH_IO_THREADS:-1}
agent=$AGENT_BENCH_AGENT
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsm-agent-bench.XXXXXX")
bsmd_pid=""

fail() {
  echo "agent_bench: $*" >&2
  exit 1
}

stop_bsmd() {
  [[ -n $bsmd_pid ]] || return 0
  stop_pid "$bsmd_pid"
}
cleanup() {
  stop_bsmd
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- 1. the provider alone, in process ---------------------------------------
gbench="$build/bench/bsm_agent_bench"
[[ -x $gbench ]] || fail "$gbench not built (ninja -C $build bsm_agent_bench)"
echo "agent_bench: bsm_agent_bench (provider in process)" >&2
"$gbench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_min_warmup_time=0.2 --benchmark_out="$tmp/gbench.json" \
  --benchmark_out_format=json >/dev/null 2>"$tmp/gbench.err" \
  || fail "bsm_agent_bench failed: $(cat "$tmp/gbench.err")"
cp "$tmp/gbench.json" "$out/agents-provider-$stamp.json"

# -- 2. the node -------------------------------------------------------------
# Starts bsmd on a fresh data dir; sets bsmd_url from ports.json.
start_bsmd() {
  start_bsmd_node "store.durability=$durability" "http.io_threads=$io_threads"
  # The agents start with the tree, a moment after the socket.
  for _ in $(seq 100); do
    curl -fsS --max-time 2 "$bsmd_url/v1/agents/$agent" >/dev/null 2>&1 && return
    sleep 0.1
  done
  fail "no agent '$agent' on $bsmd_url: $(curl -sS --max-time 2 "$bsmd_url/v1/agents" 2>&1)"
}

scrape() {
  curl -fsS --max-time 10 "$bsmd_url/metrics" >"$1" \
    || fail "GET /metrics failed"
}

# One turn with curl first: an answer that is not 200 stops the run.
smoke_test() {
  local name=$1 path body status
  if [[ $name == chat ]]; then
    path="/v1/agents/$agent/chat"
    body=$(python3 -c 'import json,os; print(json.dumps({"input": os.environ["AGENT_BENCH_INPUT"], "session_id": "smoke"}))')
  else
    path=/v1/chat/completions
    body=$(python3 -c 'import json,os; print(json.dumps({"model": os.environ["AGENT_BENCH_AGENT"], "messages": [{"role": "user", "content": os.environ["AGENT_BENCH_INPUT"]}]}))')
  fi
  status=$(curl -sS -o "$tmp/$name.smoke" -w '%{http_code}' --max-time 30 \
    -H 'Content-Type: application/json' --data "$body" "$bsmd_url$path" 2>&1) || true
  [[ $status == 200 ]] || fail "POST $path answered $status: $(head -c 500 "$tmp/$name.smoke")"
}

run_wrk() {
  local script=$1 conns=$2 seconds=$3 log=$4 t=$threads
  ((t > conns)) && t=$conns
  wrk -t"$t" -c"$conns" -d"${seconds}s" --latency -s "bench/http/$script" \
    "$bsmd_url" >"$log" 2>&1 || fail "wrk failed: $(cat "$log")"
}

# Warms up, measures between two scrapes of /metrics, and appends one
# run's object to $tmp/runs.
run_scenario() {
  local name=$1 conns=$2 rep=$3 script
  [[ $name == chat* ]] && script=agent_chat.lua || script=chat_completions.lua
  export AGENT_BENCH_DELAY_MS=0
  if [[ $name == chat-half ]]; then
    local full
    full=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r["name"], r["connections"], r["rep"]) == ("chat", int(sys.argv[2]), int(sys.argv[3])):
        print(r["rps"])' "$tmp/runs" "$conns" "$rep")
    [[ -n $full ]] || fail "chat-half needs a chat run at $conns connections before it"
    AGENT_BENCH_DELAY_MS=$(python3 -c 'import sys; print(max(1, int(1000 * int(sys.argv[1]) / float(sys.argv[2]))))' "$conns" "$full")
  fi
  # The measured run continues the warm-up's sessions (same ids); each
  # connection count has its own.
  export AGENT_BENCH_SESSIONS="c$conns"
  smoke_test "${name%-half}"
  run_wrk "$script" "$conns" "$warmup" "$tmp/warmup.txt"
  sleep 0.3 # turns still in flight when wrk stopped finish first
  scrape "$tmp/before.prom"
  local log="$tmp/$name-c$conns-$rep.txt"
  run_wrk "$script" "$conns" "$duration" "$log"
  sleep 0.3
  scrape "$tmp/after.prom"
  kill -0 "$bsmd_pid" 2>/dev/null || fail "bsmd died during '$name' at $conns connections"
  cp "$log" "$out/agents-$name-c$conns-$stamp-$rep.txt"
  local w m sessions
  w=$(sed -n 's/^wrk_json=//p' "$log")
  [[ -n $w ]] || fail "no result line from wrk: $(cat "$log")"
  sessions=$(sed -n 's/^agent_sessions=//p' "$log")
  m=$(python3 bench/agent_report.py metrics "$tmp/before.prom" "$tmp/after.prom" "$agent")
  python3 - "$name" "$conns" "$rep" "$w" "$m" "${sessions:-null}" >>"$tmp/runs" <<'EOF'
import json, os, sys
name, conns, rep, w, m, sessions = sys.argv[1:7]
w = json.loads(w)
print(json.dumps({
    "name": name, "connections": int(conns), "rep": int(rep),
    "rps": w["rps"], "requests": w["requests"], "duration_s": w["duration_s"],
    "p50_ms": w["p50_ms"], "p90_ms": w["p90_ms"], "p99_ms": w["p99_ms"],
    "p999_ms": w["p999_ms"], "max_ms": w["max_ms"], "mean_ms": w["mean_ms"],
    "non_2xx": w["non_2xx"], "errors": sum(w["errors"].values()),
    "delay_ms": int(os.environ["AGENT_BENCH_DELAY_MS"]),
    "error_kinds": w["errors"], "sessions": json.loads(sessions),
    "metrics": json.loads(m)}))
EOF
  echo "agent_bench: $name c=$conns round $rep: $(python3 -c 'import json,sys; w=json.loads(sys.argv[1]); m=json.loads(sys.argv[2]); print("%.0f turns/s, http p99 %.2f ms, overhead p99 %s ms" % (w["rps"], w["p99_ms"], m["overhead_p99_ms"]))' "$w" "$m")" >&2
}

load_before=$(loadavg)
idle_before=$(cpu_idle_percent)
start_bsmd
: >"$tmp/runs"
for rep in $(seq "$repetitions"); do
  for scenario in $scenarios; do
    case $scenario in
      chat | chat-half | completions) ;;
      *) fail "unknown scenario '$scenario' (chat, chat-half, completions)" ;;
    esac
    for conns in $connection_counts; do
      run_scenario "$scenario" "$conns" "$rep"
    done
  done
done
load_after=$(loadavg)

json="$out/agents-$stamp.json"
python3 - "$tmp/runs" "$tmp/gbench.json" "$json" <<EOF
import json, os, platform, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
scenarios = []
for key in dict.fromkeys((r["name"], r["connections"]) for r in runs):
    mine = sorted((r for r in runs if (r["name"], r["connections"]) == key),
                  key=lambda r: r["rps"])
    median = dict(mine[(len(mine) - 1) // 2])
    median["rps_runs"] = [r["rps"] for r in sorted(mine, key=lambda r: r["rep"])]
    median["overhead_p99_ms_runs"] = [
        r["metrics"]["overhead_p99_ms"] for r in sorted(mine, key=lambda r: r["rep"])]
    scenarios.append(median)
gb = json.load(open(sys.argv[2]))
provider = {}
for b in gb["benchmarks"]:
    if b.get("aggregate_name") == "median":
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "ns")]
        provider[b["run_name"]] = b["real_time"] * unit
doc = {
    "kind": "agents", "date": "$stamp", "host": platform.node(),
    "cpus": os.cpu_count(), "idle_before_percent": $idle_before,
    "loadavg_before": "$load_before", "loadavg_after": "$load_after",
    "settings": {"agent": os.environ["AGENT_BENCH_AGENT"],
                 "input": os.environ["AGENT_BENCH_INPUT"],
                 "connections": "$connection_counts".split(),
                 "wrk_threads": $threads, "duration_s": $duration,
                 "warmup_s": $warmup, "repetitions": $repetitions,
                 "durability": "$durability", "io_threads": $io_threads},
    "provider_inprocess": provider,
    "scenarios": scenarios,
    "runs": runs,
}
with open(sys.argv[3], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
cp "$json" "$out/agents-latest.json"
python3 bench/agent_report.py summary "$json" | tee "$out/agents-summary-latest.txt"
