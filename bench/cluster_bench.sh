#!/usr/bin/env bash
# Cluster benchmark: remote messaging between two processes on 127.0.0.1.
#   raw_caf  the baseline: plain CAF actors, CAF's middleman (BASP over TCP),
#            bsm.v1.Envelope messages (bench/cluster_raw.hpp). One sender
#            actor sends N one-way Envelopes to a sink in the other process
#            (the sink acks every W; at most F windows unacknowledged), then
#            K sequential request/response round trips.
#   runtime  in the same run: node A in the measuring process, node B a real
#            bsmd process; A sends to a name only B has (cluster_runtime.hpp):
#            non-durable tells, durable sends (accepted into A's outbox, and
#            delivered to B's sink), sequential asks, then B is killed and the
#            time until A marks it down is taken.
# Runs `bsm_cluster_bench all` (it starts its own peer processes) several
# times and reports the median of each figure. Builds nothing.
# Usage: bench/cluster_bench.sh [BUILD_DIR]   (make bench-cluster)
# Environment (defaults in brackets):
#   CLUSTER_BENCH_REPETITIONS [3]
#   CLUSTER_BENCH_MESSAGES [200000]   N
#   CLUSTER_BENCH_PAYLOAD [100]       bytes of each Envelope's payload
#   CLUSTER_BENCH_ROUND_TRIPS [5000]  K
#   CLUSTER_BENCH_ARGS []             more bsm_cluster_bench flags, e.g.
#                                     "--window 0" or "--policy stealing"
#   CLUSTER_BENCH_TLS [1]             1: each round also runs with mutual TLS
#                                     between the runtime's nodes (--tls-dir,
#                                     certificates from deploy/make-certs.sh)
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
tls=${CLUSTER_BENCH_TLS:-1}
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
: >"$tmp/runs-tls"
[[ $tls == 1 ]] && ./deploy/make-certs.sh "$tmp/certs" bench-a bench-b >/dev/null
# One run of `bsm_cluster_bench all` with the given extra flags.
run_all() {
  "$bin" all --messages "$messages" --payload-bytes "$payload" \
    --round-trips "$round_trips" "$@" "${extra[@]}"
}
for rep in $(seq "$repetitions"); do
  echo "cluster_bench: round $rep of $repetitions" >&2
  run_all >>"$tmp/runs"
  if [[ $tls == 1 ]]; then
    echo "cluster_bench: round $rep of $repetitions, mutual TLS" >&2
    run_all --tls-dir "$tmp/certs" >>"$tmp/runs-tls"
  fi
done
load_after=$(loadavg)

json="$out/cluster-$stamp.json"
python3 - "$tmp/runs" "$json" "$stamp" "$load_before" "$load_after" \
  "$tmp/runs-tls" <<'EOF' | tee "$out/cluster-summary-latest.txt"
import json, os, platform, statistics, sys
runs_file, out, stamp, load_before, load_after, tls_file = sys.argv[1:7]
runs = [json.loads(line) for line in open(runs_file) if line.strip()]
tls_runs = [json.loads(line) for line in open(tls_file) if line.strip()]
med = lambda xs: statistics.median(list(xs))
def runtime_figures(rt, prefix):
    """The runtime's medians, each name with `prefix`."""
    return {prefix + k: v for k, v in {
        "non_durable_msgs_per_s":
            med(x["non_durable"]["msgs_per_s"] for x in rt),
        "durable_accepted_msgs_per_s":
            med(x["durable_accepted"]["msgs_per_s"] for x in rt),
        "durable_delivered_msgs_per_s":
            med(x["durable_delivered"]["msgs_per_s"] for x in rt),
        "ask_rtt_p50_us": med(x["ask_rtt_us"]["p50"] for x in rt),
        "ask_rtt_p99_us": med(x["ask_rtt_us"]["p99"] for x in rt),
    }.items()}
raw = [r["raw_caf"] for r in runs]
rt = [r["runtime"] for r in runs]
figures = {
    "raw_msgs_per_s": med(x["msgs_per_s"] for x in raw),
    "raw_rtt_p50_us": med(x["rtt_us"]["p50"] for x in raw),
    "raw_rtt_p99_us": med(x["rtt_us"]["p99"] for x in raw),
    **runtime_figures(rt, ""),
    "detection_ms": med(x["detection_ms"] for x in rt),
    # Per run, so both sides of a ratio saw the same machine state.
    "non_durable_vs_raw": med(b["non_durable"]["msgs_per_s"] / a["msgs_per_s"]
                              for a, b in zip(raw, rt)),
}
if tls_runs:
    tr = [r["runtime"] for r in tls_runs]
    figures.update({
        **runtime_figures(tr, "tls_"),
        # Per round: the plain and the TLS run of one round side by side.
        "tls_vs_plain_non_durable": med(
            b["non_durable"]["msgs_per_s"] / a["non_durable"]["msgs_per_s"]
            for a, b in zip(rt, tr)),
    })
doc = {"kind": "cluster", "date": stamp, "host": platform.node(),
       "cpus": os.cpu_count(), "loadavg_before": load_before,
       "loadavg_after": load_after, "median": figures, "runs": runs,
       "tls_runs": tls_runs}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
f = figures
print(f"cluster benchmark {stamp}, median of {len(runs)} runs "
      f"(load before {load_before}, after {load_after})")
print(f"raw CAF one-way            {f['raw_msgs_per_s']:>10.0f} msg/s")
print(f"runtime non-durable tell   {f['non_durable_msgs_per_s']:>10.0f} msg/s"
      f"  ({f['non_durable_vs_raw']:.0%} of raw, target >= 80%)")
print(f"runtime durable, accepted  {f['durable_accepted_msgs_per_s']:>10.0f} msg/s")
print(f"runtime durable, delivered {f['durable_delivered_msgs_per_s']:>10.0f} msg/s"
      f"  (target >= 50000)")
print(f"raw CAF round trip         p50 {f['raw_rtt_p50_us']:.0f} us, "
      f"p99 {f['raw_rtt_p99_us']:.0f} us")
print(f"runtime cross-node ask     p50 {f['ask_rtt_p50_us']:.0f} us, "
      f"p99 {f['ask_rtt_p99_us']:.0f} us")
print(f"failure detection (kill -9) {f['detection_ms']:.0f} ms")
if tls_runs:
    print(f"mutual TLS non-durable tell {f['tls_non_durable_msgs_per_s']:>9.0f} msg/s"
          f"  ({f['tls_vs_plain_non_durable']:.0%} of plain, same rounds)")
    print(f"mutual TLS durable, accepted {f['tls_durable_accepted_msgs_per_s']:>8.0f} msg/s")
    print(f"mutual TLS durable, delivered {f['tls_durable_delivered_msgs_per_s']:>7.0f} msg/s")
    print(f"mutual TLS cross-node ask   p50 {f['tls_ask_rtt_p50_us']:.0f} us, "
          f"p99 {f['tls_ask_rtt_p99_us']:.0f} us")
EOF
cp "$json" "$out/cluster-latest.json"
