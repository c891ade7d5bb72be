#!/usr/bin/env bash
# Runs every benchmark binary, writes JSON under bench/results/ and prints a
# summary table with each runtime figure as a ratio of its raw baseline.
# Usage: bench/run.sh [BUILD_DIR]   (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="$out/message_bench-$stamp.json"
"$build/bench/bsm_message_bench" \
  --benchmark_repetitions="${BENCH_REPETITIONS:-5}" \
  --benchmark_report_aggregates_only=true \
  --benchmark_enable_random_interleaving=true \
  --benchmark_min_warmup_time=0.2 \
  --benchmark_out="$json" --benchmark_out_format=json >/dev/null
cp "$json" "$out/message_bench-latest.json"
python3 bench/summarize.py "$json" | tee "$out/summary-latest.txt"
