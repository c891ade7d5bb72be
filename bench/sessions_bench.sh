#!/usr/bin/env bash
# Sessions benchmark (issue 28): does a node live in bounded memory while
# sessions pile up? One bsmd (config/node.yaml: the local provider), a
# fresh data dir in the temp dir, both ports on 127.0.0.1:0.
#   1. SESSIONS chat turns through POST /v1/agents/{agent}/chat, each with
#      a new session id, as fast as the node answers them: wrk with
#      bench/http/new_sessions.lua, 16 connections, in SAMPLES equal runs.
#      Before the first and after each run: the node's RSS
#      (/proc/PID/status VmRSS), the data dir's size (du -sb; of it the
#      write-ahead logs), the store's memory series from GET /metrics
#      (block cache usage and pinned part, memtables, table readers; the
#      whole scrape is kept as metrics-<sessions>.txt) and the run's
#      turns/s (its turns over its wall time, wrk's start to the last
#      answer).
#   2. SIGTERM, then the node again on the same data dir: the time from
#      its start to GET /readyz 200 and its RSS then.
#   3. The history of SESSIONS_BENCH_READS random old sessions, one read
#      at a time (bench/sessions_report.py history): p50/p99 latency, and
#      that each holds the one turn the bench sent it.
# Target (issue 28): RSS flat within 10% of store.memory_budget + 64 MiB
# from the first full memtable on. The report judges every sample after
# the first run: with the default SESSIONS the first is at 100,000
# sessions, about 100 MiB written, far past a 16 MiB memtable; below about
# 200,000 sessions it may not be.
# Usage: bench/sessions_bench.sh [BUILD_DIR]   (make bench-sessions)
# Environment (defaults in brackets):
#   SESSIONS [1000000]               sessions to open, one turn each
#   SESSIONS_BENCH_SAMPLES [10]      runs (and samples after the first)
#   SESSIONS_BENCH_CONNECTIONS [16]  wrk connections (one wrk thread)
#   SESSIONS_BENCH_READS [1000]      history reads after the restart
#   SESSIONS_BENCH_SEED [28]         which sessions are read
#   SESSIONS_BENCH_AGENT [runner]
#   SESSIONS_BENCH_INPUT ["What should an NDA contain?"]  (the session id
#                                    is appended in brackets)
#   SESSIONS_BENCH_SET [""]          more bsmd --set KEY=VALUE, space
#                                    separated (store.memory_budget=...)
#   SESSIONS_BENCH_RUN_TIMEOUT [0]   seconds one run may take; 0: 300 plus
#                                    10 ms per turn of the run
# Writes bench/results/sessions-<stamp>/: result.json, table.md,
# samples.csv, plot.txt (ASCII), the /metrics scrape per sample and wrk's
# output per run; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/bsmd_lib.sh
build=${1:-build}
sessions=${SESSIONS:-1000000}
samples=${SESSIONS_BENCH_SAMPLES:-10}
connections=${SESSIONS_BENCH_CONNECTIONS:-16}
reads=${SESSIONS_BENCH_READS:-1000}
seed=${SESSIONS_BENCH_SEED:-28}
run_timeout=${SESSIONS_BENCH_RUN_TIMEOUT:-0}
export SESSIONS_BENCH_AGENT=${SESSIONS_BENCH_AGENT:-runner}
export SESSIONS_BENCH_INPUT=${SESSIONS_BENCH_INPUT:-What should an NDA contain?}
read -ra extra_sets <<<"${SESSIONS_BENCH_SET:-}"
agent=$SESSIONS_BENCH_AGENT
config=config/node.yaml
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/sessions-$stamp

fail() {
  echo "sessions_bench: $*" >&2
  exit 1
}
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_count "$sessions" || fail "SESSIONS must be a positive integer, got '$sessions'"
is_count "$samples" || fail "SESSIONS_BENCH_SAMPLES must be a positive integer"
is_count "$connections" || fail "SESSIONS_BENCH_CONNECTIONS must be a positive integer"
is_count "$reads" || fail "SESSIONS_BENCH_READS must be a positive integer"
((sessions >= samples)) || fail "SESSIONS ($sessions) is below SESSIONS_BENCH_SAMPLES ($samples)"
[[ $run_timeout =~ ^[0-9]+$ ]] || fail "SESSIONS_BENCH_RUN_TIMEOUT must be whole seconds"
command -v wrk >/dev/null || fail "wrk not found (apt-get install wrk)"
mkdir -p "$out"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsm-sessions-bench.XXXXXX")
bsmd_pid=""
wrk_pid=""
cleanup() {
  [[ -n $wrk_pid ]] && kill -INT "$wrk_pid" 2>/dev/null && wait "$wrk_pid" 2>/dev/null
  [[ -n $bsmd_pid ]] && stop_pid "$bsmd_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
seconds_since() { python3 -c 'import sys, time; print(round(time.time() - float(sys.argv[1]), 3))' "$1"; }
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
data_bytes() { du -sb "$tmp/data" | cut -f1; }
# RocksDB's write-ahead logs (NNNNNN.log) in the data dir.
wal_bytes() { find "$tmp/data" -type f -name '*.log' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

start_node() {
  start_bsmd_node "${extra_sets[@]}"
}

# Polls GET /readyz every 20 ms for up to 120 s.
wait_ready() {
  for _ in $(seq 6000); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$bsmd_url/readyz") == 200 ]] && return
    kill -0 "$bsmd_pid" 2>/dev/null || fail "bsmd died: $(cat "$tmp/data.err")"
    sleep 0.02
  done
  fail "GET /readyz not 200 within 120 s"
}

# One chat turn with curl first: an answer that is not 200 stops the run.
smoke_test() {
  local body status
  body=$(python3 -c 'import json,os; print(json.dumps({"input": os.environ["SESSIONS_BENCH_INPUT"], "session_id": "smoke"}))')
  status=$(curl -sS -o "$tmp/smoke" -w '%{http_code}' --max-time 30 \
    -H 'Content-Type: application/json' --data "$body" \
    "$bsmd_url/v1/agents/$agent/chat" 2>&1) || true
  [[ $status == 200 ]] || fail "POST /v1/agents/$agent/chat answered $status: $(head -c 500 "$tmp/smoke")"
}

# The store's memory series of a /metrics scrape as JSON members (0 for a
# series the node does not have).
store_series() {
  python3 - "$1" <<'PY'
import sys
names = {"bsm_store_block_cache_usage_bytes": "cache_usage_bytes",
         "bsm_store_block_cache_pinned_bytes": "cache_pinned_bytes",
         "bsm_store_memtable_bytes": "memtable_bytes",
         "bsm_store_table_readers_bytes": "table_readers_bytes"}
values = dict.fromkeys(names.values(), 0)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 2 and parts[0] in names:
        values[names[parts[0]]] = int(float(parts[1]))
print(", ".join('"%s": %d' % kv for kv in values.items()))
PY
}

# sample SESSIONS SECONDS ANSWERED FAILED: one line of $tmp/samples (the
# run that ended here answered ANSWERED turns in SECONDS).
sample() {
  local rate=null
  [[ $2 != 0 ]] && rate=$(python3 -c 'import sys; print(round(int(sys.argv[1]) / float(sys.argv[2]), 1))' "$3" "$2")
  local scrape="$out/metrics-$1.txt"
  curl -s --max-time 10 -o "$scrape" "$bsmd_url/metrics" || : >"$scrape"
  echo "{\"sessions\": $1, \"rss_bytes\": $(rss_bytes "$bsmd_pid"), \"data_dir_bytes\": $(data_bytes), \"wal_bytes\": $(wal_bytes), $(store_series "$scrape"), \"seconds\": $2, \"turns_per_s\": $rate, \"failed\": $4}" >>"$tmp/samples"
}

# run_turns PREFIX COUNT: COUNT turns opening sessions PREFIX-1..COUNT;
# sets run_answered, run_failed and run_seconds.
run_turns() {
  local prefix=$1 count=$2 done_file="$tmp/$1.done" log="$out/wrk-$1.txt"
  local limit=$run_timeout
  ((limit > 0)) || limit=$((300 + count / 100))
  local start
  start=$(now)
  SESSIONS_BENCH_PREFIX=$prefix SESSIONS_BENCH_COUNT=$count \
    SESSIONS_BENCH_DONE=$done_file \
    wrk -t1 -c"$connections" -d"${limit}s" --timeout 60s \
    -s bench/http/new_sessions.lua "$bsmd_url" >"$log" 2>&1 &
  wrk_pid=$!
  while [[ ! -f $done_file ]] && kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 0.02
  done
  run_seconds=$(seconds_since "$start")
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || fail "wrk failed: $(cat "$log")"
  wrk_pid=""
  [[ -f $done_file ]] || fail "run $prefix: not every turn answered within ${limit} s: $(tail -4 "$log")"
  run_answered=$(sed -n 's/^sessions_answered=//p' "$log")
  run_failed=$(sed -n 's/^sessions_failed=//p' "$log")
  kill -0 "$bsmd_pid" 2>/dev/null || fail "bsmd died during run $prefix: $(tail -5 "$tmp/data.err")"
  ((run_failed == 0)) || echo "sessions_bench: run $prefix: $run_failed turns failed, first: $(sed -n 's/^first_failure=//p' "$log")" >&2
}

load_before=$(loadavg)
idle_before=$(cpu_idle_percent)
budget=$(python3 bench/sessions_report.py budget "$config" "${extra_sets[@]}")
start_node
wait_ready
smoke_test
: >"$tmp/samples"
sample 0 0 0 0
per_run=$((sessions / samples))
opened=0
ranges=()
for i in $(seq "$samples"); do
  count=$per_run
  ((i == samples)) && count=$((sessions - opened))
  run_turns "s$i" "$count"
  opened=$((opened + run_answered))
  ranges+=("s$i:$count")
  sample "$opened" "$run_seconds" "$run_answered" "$run_failed"
  echo "sessions_bench: $opened sessions, $(tail -1 "$tmp/samples")" >&2
done
load_after=$(loadavg)

# -- restart -------------------------------------------------------------
stop_start=$(now)
stop_pid "$bsmd_pid"
stop_s=$(seconds_since "$stop_start")
bsmd_pid=""
# stop_pid sends SIGKILL after 15 s: the restart then replays the logs.
python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 15)' "$stop_s" \
  && echo "sessions_bench: bsmd did not exit within 15 s of SIGTERM and was killed" >&2
rm -f "$tmp/data/ports.json" # the new node's ports.json is awaited
ready_start=$(now)
start_node
wait_ready
ready_s=$(seconds_since "$ready_start")
restart_rss=$(rss_bytes "$bsmd_pid")
restart_data=$(data_bytes)
restart_wal=$(wal_bytes)
python3 bench/sessions_report.py history "$bsmd_url" "$agent" \
  "$SESSIONS_BENCH_INPUT" "$reads" "$seed" "${ranges[@]}" >"$tmp/history.json" \
  || fail "history reads failed"
after_reads_rss=$(rss_bytes "$bsmd_pid")

python3 - "$tmp/samples" "$tmp/history.json" "$out/result.json" <<EOF
import json, os, platform, sys
doc = {
    "kind": "sessions", "date": "$stamp", "host": platform.node(),
    "cpus": os.cpu_count(), "idle_before_percent": $idle_before,
    "loadavg_before": "$load_before", "loadavg_after": "$load_after",
    "settings": {"sessions": $sessions, "samples": $samples,
                 "connections": $connections, "reads": $reads, "seed": $seed,
                 "agent": os.environ["SESSIONS_BENCH_AGENT"],
                 "input": os.environ["SESSIONS_BENCH_INPUT"],
                 "sets": "${SESSIONS_BENCH_SET:-}".split(),
                 "memory_budget_bytes": $budget},
    "samples": [json.loads(l) for l in open(sys.argv[1]) if l.strip()],
    "restart": {"stop_s": $stop_s, "ready_s": $ready_s,
                "rss_bytes": $restart_rss, "data_dir_bytes": $restart_data,
                "wal_bytes": $restart_wal,
                "rss_after_reads_bytes": $after_reads_rss},
    "history": json.load(open(sys.argv[2])),
}
with open(sys.argv[3], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
python3 bench/sessions_report.py summary "$out/result.json" "$out" | tee "$out/summary.txt"
echo "sessions_bench: results in $out" >&2
