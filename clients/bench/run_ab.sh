#!/usr/bin/env bash
# A/B of two parleyd builds on the scenarios of run_suite.sh, interleaved so
# that both meet the same neighbours on a shared machine: for each repeat,
# each scenario runs once against A, then once against B (each run on a fresh
# server), with the same parley-bench. Reports land in OUTDIR/a and OUTDIR/b;
# compare with summarize.py OUTDIR/a and summarize.py OUTDIR/b.
#
#   clients/bench/run_ab.sh base/parleyd build/src/app/parleyd build/clients/bench/parley-bench \
#       /tmp/ab 3 direct-10k group50-1000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
a=$1 b=$2 bench=$3 out=$4 repeats=${5:-3}
shift $(( $# < 5 ? $# : 5 ))
scenarios=("$@")
(( ${#scenarios[@]} > 0 )) || scenarios=(direct-10k group50-1000)
export QUIET_WAIT=${QUIET_WAIT:-60}
for r in $(seq "$repeats"); do
  for s in "${scenarios[@]}"; do
    echo "repeat $r, $s: A, load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$here/run_suite.sh" "$a" "$bench" "$out/a" 1 "$s"
    echo "repeat $r, $s: B, load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$here/run_suite.sh" "$b" "$bench" "$out/b" 1 "$s"
  done
done
