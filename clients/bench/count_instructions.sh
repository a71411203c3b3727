#!/usr/bin/env bash
# parleyd's user-space instructions during 10 s of steady load, counted by
# callgrind: nearly deterministic, unlike CPU time on a shared machine, so two
# builds compare within a percent whatever the neighbours do. The load must be
# low enough for parleyd under valgrind to keep up (about 60 msg/s).
#
#   clients/bench/count_instructions.sh build/src/app/parleyd build/clients/bench/parley-bench \
#       /tmp/b.callgrind --users 10 --rate 60 --duration 16 --warmup 2 --setup-concurrency 10
#
# Usage: count_instructions.sh PARLEYD BENCH OUTFILE PARLEY-BENCH-ARGS...
# Prints the bench's delivery checks and callgrind's total; OUTFILE is for
# callgrind_annotate.
set -euo pipefail
parleyd=$1 bench=$2 outfile=$3; shift 3
data=$(mktemp -d /tmp/parley-cg.XXXXXX)
port=$(( 20000 + RANDOM % 30000 ))
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$outfile" \
  "$parleyd" --listen "127.0.0.1:$port" --data-dir "$data" --max-frames-per-second 0 --login-address-burst 0 --threads 2 2>"$data/log" &
pid=$!
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
"$bench" --server "127.0.0.1:$port" --json "$@" >"$data/report.json" 2>"$data/bench.err" &
bpid=$!
for _ in $(seq 3000); do grep -q "phase load:" "$data/bench.err" 2>/dev/null && break; sleep 0.1; done
sleep 3
callgrind_control -i on "$pid" >/dev/null
sleep 10
callgrind_control -i off "$pid" >/dev/null
wait "$bpid" || true
kill -TERM "$pid"; wait "$pid" || true
python3 - "$data/report.json" <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
print({k:d[k] for k in d if k in ('lost','duplicates','out_of_order','delivered','sent','acked')})
PY
grep -E "^summary|^totals" "$outfile" | head -2
rm -rf "$data"
