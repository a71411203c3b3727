#!/usr/bin/env bash
# The "Cluster" figures of docs/benchmarks.md: for each node count, a cluster
# of scripts/cluster.sh (private ZooKeeper, Redis, MariaDB, N parleyd nodes on
# loopback), then each scenario REPEATS times with --route and the CPU of
# every node and engine sampled (--sample-pid); one JSON report per run in
# OUTDIR/cluster<N>-<scenario>.jsonl. "single" runs a plain parleyd (the
# default embedded store) for comparison, in OUTDIR/single-<scenario>.jsonl.
#
#   PARLEY_CLUSTER_DIR=/tmp/bench-cluster PARLEY_CLUSTER_PORT=8381 \
#     clients/bench/run_cluster.sh build/clients/bench/parley-bench /tmp/cluster-results 3 "single 1 2 3" [SCENARIO...]
#
# Nodes are added to one running cluster (1, then 2, then 3); the cluster is
# stopped (scripts/cluster.sh down) at the end, also on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
bench=$(realpath "$1")
out=$2
repeats=${3:-3}
counts=${4:-single 1 2 3}
shift $(( $# < 4 ? $# : 4 ))
mkdir -p "$out"
export PARLEY_CLUSTER_DIR=${PARLEY_CLUSTER_DIR:-/tmp/parley-bench-cluster}
export PARLEY_CLUSTER_PORT=${PARLEY_CLUSTER_PORT:-8381}
export PARLEY_NODE_FLAGS="--max-frames-per-second 0 --login-address-burst 0 ${PARLEY_NODE_FLAGS:-}"
parleyd=$ROOT/build/src/app/parleyd

declare -A scenarios=(
  [direct-1k]="--users 100 --rate 1000 --duration 15 --warmup 2"
  [direct-2k]="--users 100 --rate 2000 --duration 15 --warmup 2"
  [group50-100]="--users 200 --mode group --group-size 50 --rate 100 --duration 15 --warmup 2"
  [group50-200]="--users 200 --mode group --group-size 50 --rate 200 --duration 15 --warmup 2"
)
order=(direct-1k direct-2k group50-100 group50-200)
if (( $# > 0 )); then order=("$@"); fi

cluster_up=0
cleanup() { if (( cluster_up )); then "$ROOT/scripts/cluster.sh" down >/dev/null || true; fi; }
trap cleanup EXIT

pid_of() { cat "$PARLEY_CLUSTER_DIR/$1/pid"; }

run_scenarios() {
  local label=$1 server=$2 name rc
  shift 2
  for name in "${order[@]}"; do
    for _ in $(seq "$repeats"); do
      rc=0
      # shellcheck disable=SC2086
      "$bench" --server "$server" --json ${scenarios[$name]} "$@" \
        >>"$out/$label-$name.jsonl" 2>>"$out/$label-$name.bench.log" || rc=$?
      echo "$label $name: exit $rc, load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
  done
}

for n in $counts; do
  if [ "$n" = single ]; then
    data=$(mktemp -d /tmp/parley-bench-data.XXXXXX)
    port=$(( PARLEY_CLUSTER_PORT + 50 ))
    "$parleyd" --listen "127.0.0.1:$port" --data-dir "$data" --max-frames-per-second 0 \
      --login-address-burst 0 2>"$out/single.parleyd.log" &
    pid=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    run_scenarios single "127.0.0.1:$port" --server-pid "$pid" --sample-pid "$pid"
    kill -TERM "$pid"
    wait "$pid" || true
    rm -rf "$data"
    continue
  fi
  cluster_up=1
  "$ROOT/scripts/cluster.sh" up "$n" >"$out/cluster-up-$n.log" 2>&1
  samples=()
  for ((i = 0; i < n; i++)); do samples+=(--sample-pid "$(pid_of "node$i")"); done
  for svc in redis mariadb zookeeper; do samples+=(--sample-pid "$(pid_of "services/$svc")"); done
  run_scenarios "cluster$n" "127.0.0.1:$PARLEY_CLUSTER_PORT" --route "${samples[@]}"
done
