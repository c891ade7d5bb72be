#!/usr/bin/env bash
# Cluster benchmark: remote messaging between two processes on 127.0.0.1.
#   raw_caf  the baseline: plain CAF actors, CAF's middleman (BASP over TCP),
#            bsm.v1.Envelope messages (bench/cluster_raw.hpp). One sender
#            actor sends N one-way Envelopes to a sink in the other process
#            (the sink acks every W; at most F windows unacknowledged), then
#            K sequential request/response round trips.
# Runs `bsm_cluster_bench raw` (it starts its own peer process) several times
# and reports the median run of each figure. Builds nothing.
# Usage: bench/cluster_bench.sh [BUILD_DIR]   (make bench-cluster)
# Environment (defaults in brackets):
#   CLUSTER_BENCH_REPETITIONS [3]
#   CLUSTER_BENCH_MESSAGES [200000]   N
#   CLUSTER_BENCH_PAYLOAD [100]       bytes of each Envelope's payload
#   CLUSTER_BENCH_ROUND_TRIPS [5000]  K
#   CLUSTER_BENCH_ARGS []             more bsm_cluster_bench flags, e.g.
#                                     "--window 0" or "--policy stealing"
# Writes bench/results/cluster-<stamp>.json (and cluster-latest.json) and
# prints the summary (also cluster-summary-latest.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repetitions=${CLUSTER_BENCH_REPETITIONS:-3}
messages=${CLUSTER_BENCH_MESSAGES:-200000}
payload=${CLUSTER_BENCH_PAYLOAD:-100}
round_trips=${CLUSTER_BENCH_ROUND_TRIPS:-5000}
read -ra extra <<<"${CLUSTER_BENCH_ARGS:-}"
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

bin="$build/bench/bsm_cluster_bench"
[[ -x $bin ]] || {
  echo "cluster_bench: $bin not built (ninja -C $build bsm_cluster_bench)" >&2
  exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsm-cluster-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
: >"$tmp/runs"
for rep in $(seq "$repetitions"); do
  echo "cluster_bench: round $rep of $repetitions" >&2
  "$bin" raw --messages "$messages" --payload-bytes "$payload" \
    --round-trips "$round_trips" "${extra[@]}" >>"$tmp/runs"
done
load_after=$(loadavg)

json="$out/cluster-$stamp.json"
python3 - "$tmp/runs" "$json" "$stamp" "$load_before" "$load_after" \
  <<'EOF' | tee "$out/cluster-summary-latest.txt"
import json, os, platform, statistics, sys
runs_file, out, stamp, load_before, load_after = sys.argv[1:6]
runs = [json.loads(line) for line in open(runs_file) if line.strip()]
# Every section of the output ("raw_caf", later the runtime's): the median
# of each figure over the runs.
medians = {}
for section in dict.fromkeys(k for r in runs for k in r):
    mine = [r[section] for r in runs if section in r]
    medians[section] = {
        "msgs_per_s": statistics.median(m["msgs_per_s"] for m in mine),
        "msgs_per_s_runs": [m["msgs_per_s"] for m in mine],
        "rtt_us": {q: statistics.median(m["rtt_us"][q] for m in mine)
                   for q in ("p50", "p90", "p99")},
        "rtt_p99_us_runs": [m["rtt_us"]["p99"] for m in mine],
        "settings": {k: v for k, v in mine[0].items()
                     if k not in ("msgs_per_s", "elapsed_s", "rtt_us")},
    }
doc = {"kind": "cluster", "date": stamp, "host": platform.node(),
       "cpus": os.cpu_count(), "loadavg_before": load_before,
       "loadavg_after": load_after, "median": medians, "runs": runs}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"cluster benchmark {stamp}, median of {len(runs)} runs "
      f"(load before {load_before}, after {load_after})")
print(f"{'section':<12} {'msg/s':>12} {'rtt p50 us':>11} {'rtt p90 us':>11} "
      f"{'rtt p99 us':>11}")
for section, m in medians.items():
    r = m["rtt_us"]
    print(f"{section:<12} {m['msgs_per_s']:>12.0f} {r['p50']:>11.1f} "
          f"{r['p90']:>11.1f} {r['p99']:>11.1f}")
EOF
cp "$json" "$out/cluster-latest.json"
