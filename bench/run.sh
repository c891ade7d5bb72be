#!/usr/bin/env bash
# Runs every benchmark binary, writes JSON under bench/results/ and prints a
# summary table with each figure as a ratio of its raw baseline from the
# same run. Usage: bench/run.sh [BUILD_DIR]   (make bench)
# BENCH_REPETITIONS (default 5) sets the repetitions; BSM_BENCH_DIR the disk
# the store benchmarks write to (default: the system temp dir).
# Then bsm_recovery_bench runs once (RECOVERY_ENVELOPES, default 1000000);
# its JSON line goes to bench/results/recovery-*.json and is printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=()
for bench in message_bench store_bench mailbox_bench; do
  json="$out/$bench-$stamp.json"
  "$build/bench/bsm_$bench" \
    --benchmark_repetitions="${BENCH_REPETITIONS:-5}" \
    --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true \
    --benchmark_min_warmup_time=0.2 \
    --benchmark_out="$json" --benchmark_out_format=json >/dev/null
  cp "$json" "$out/$bench-latest.json"
  results+=("$json")
done
python3 bench/summarize.py "${results[@]}" | tee "$out/summary-latest.txt"
recovery="$out/recovery-$stamp.json"
"$build/bench/bsm_recovery_bench" \
  --envelopes "${RECOVERY_ENVELOPES:-1000000}" --out "$recovery" >/dev/null
cp "$recovery" "$out/recovery-latest.json"
{
  echo "$recovery (targets: first redelivery < 2000 ms, peak RSS < 256 MiB)"
  cat "$recovery"
} | tee -a "$out/summary-latest.txt"
