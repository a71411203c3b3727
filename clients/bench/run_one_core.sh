#!/usr/bin/env bash
# One parley-bench run against a fresh parleyd confined to one core: parleyd
# on CPU 0 with --threads 1 (every thread of it, RocksDB's included), the
# bench on CPU 1 with one thread. The figures are then per core of the
# server (docs/benchmarks.md, "One core"). Prints the bench's report;
# PARLEYD_ARGS adds flags to parleyd.
#
#   clients/bench/run_one_core.sh build-bench/src/app/parleyd build-bench/clients/bench/parley-bench \
#       --users 100 --rate 10000 --duration 15 --warmup 2
set -euo pipefail
parleyd=$(realpath "$1")
bench=$(realpath "$2")
shift 2
(( $(nproc) >= 2 )) || { echo "needs two cores" >&2; exit 2; }
data=$(mktemp -d /tmp/parley-one-core.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
taskset -c 0 "$parleyd" --listen "127.0.0.1:$port" --data-dir "$data" --threads 1 --max-frames-per-second 0 \
  --login-address-burst 0 ${PARLEYD_ARGS:-} 2>"$data.log" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data" "$data.log"' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
taskset -c 1 "$bench" --server "127.0.0.1:$port" --server-pid "$pid" --threads 1 "$@"
