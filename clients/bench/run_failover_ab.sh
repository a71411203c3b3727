#!/usr/bin/env bash
# The failover figures of docs/benchmarks.md ("Failover: the reconnect curve"),
# A/B: two parley-bench builds (e.g. one from before a change to the clients'
# reconnect rule, and the current one) take turns on one 3-node cluster of
# scripts/cluster.sh, ROUNDS times each. Each run kills node 1 (the devices'
# node) with SIGKILL 10 s into the load; cluster.sh up brings it back before
# the next run. Reports: OUTDIR/<before|after>-<round>.txt; a summary line per
# run on stdout.
#
#   PARLEY_CLUSTER_DIR=/tmp/failover-cluster PARLEY_CLUSTER_PORT=8381 JITTER=20 \
#     clients/bench/run_failover_ab.sh /tmp/parley-bench-before build/clients/bench/parley-bench /tmp/fo 2
#
# Extra parleyd flags: PARLEY_NODE_FLAGS (e.g. "--zookeeper-session 5").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
before=$(realpath "$1")
after=$(realpath "$2")
out=$3
rounds=${4:-2}
mkdir -p "$out"
export PARLEY_CLUSTER_DIR=${PARLEY_CLUSTER_DIR:-/tmp/parley-failover-cluster}
export PARLEY_CLUSTER_PORT=${PARLEY_CLUSTER_PORT:-8381}
export PARLEY_NODE_FLAGS="--max-frames-per-second 0 --login-address-burst 0 ${PARLEY_NODE_FLAGS:-}"
server=127.0.0.1:$PARLEY_CLUSTER_PORT
victim=127.0.0.1:$((PARLEY_CLUSTER_PORT + 1))

trap '"$ROOT/scripts/cluster.sh" down >/dev/null 2>&1 || true' EXIT
ring_of_three() {
  curl -fs "http://$server/healthz" | python3 -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["ring"]) != 3)'
}
for round in $(seq "$rounds"); do
  for variant in before after; do
    bench=$before
    [ "$variant" = after ] && bench=$after
    "$ROOT/scripts/cluster.sh" up 3 >>"$out/cluster-up.log" 2>&1  # (re)starts the node killed last time
    until ring_of_three; do sleep 0.5; done
    rc=0
    "$bench" --server "$server" --users 50 --rate 500 --warmup 2 --duration 40 \
      --failover-kill-pid "$(cat "$PARLEY_CLUSTER_DIR/node1/pid")" --failover-node "$victim" \
      --failover-after 10 --reconnect-jitter "${JITTER:-20}" --failover-devices-per-user 20 \
      >"$out/$variant-$round.txt" 2>"$out/$variant-$round.err" || rc=$?
    echo "round $round $variant: exit $rc, load $(cut -d' ' -f1-3 /proc/loadavg)"
    grep -E "^  (devices|recovery) " "$out/$variant-$round.txt" || true
  done
done
