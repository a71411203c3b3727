#!/usr/bin/env bash
# A/B of two parleyd builds on one core (run_one_core.sh), alternating A and
# B so that both meet the same neighbours on a shared machine; one summary
# line per run: lost deliveries, p50/p99 delivery latency (ms), parleyd's
# cores and deliveries per parleyd core-second. Full reports in OUTDIR.
#
#   clients/bench/run_one_core_ab.sh base/parleyd build-bench/src/app/parleyd \
#       build-bench/clients/bench/parley-bench /tmp/ab 3 --users 100 --rate 10000 --duration 15 --warmup 2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
a=$1 b=$2 bench=$3 out=$4 runs=$5
shift 5
mkdir -p "$out"
for i in $(seq "$runs"); do
  for side in a b; do
    if [[ $side == a ]]; then server=$a; else server=$b; fi
    report="$out/$side-$i.txt"
    "$here/run_one_core.sh" "$server" "$bench" "$@" >"$report" 2>/dev/null || true
    echo "$side $(grep -E 'deliveries|latency|cpu' "$report" |
      grep -oE 'lost [0-9]+|p50 [0-9.]+|p99 [0-9.]+|parleyd [0-9.]+ cores \([0-9]+' | tr '\n' ' ')"
  done
done
