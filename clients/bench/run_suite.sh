#!/usr/bin/env bash
# Runs the benchmark scenarios of docs/benchmarks.md, each REPEATS times,
# every run against a fresh parleyd (temp --data-dir, free port,
# --max-frames-per-second 0), and appends one JSON report per run to
# OUTDIR/<scenario>.jsonl. Summarize with summarize.py OUTDIR.
#
#   clients/bench/run_suite.sh build-bench/src/app/parleyd \
#       build-bench/clients/bench/parley-bench /tmp/bench-results 3 [SCENARIO...]
#
# Without SCENARIO, the scenarios of the Results tables; `per-core` stands for
# the scenarios of the per-core targets (direct-1k direct-15k direct-20k
# group100-500 group100-3000 idle-10k backlog-10k backlog-10k-start
# overload-3x history-1m). ONE_CORE=1 confines every run to one core of the
# server: parleyd on CPU 0 with --threads 1, the bench on CPU 1 with one
# thread (docs/benchmarks.md, "One core"). history-1m runs run_history.sh with
# parley-search-bench (SEARCH_BENCH, by default beside parley-bench in
# search/): a fill of a million messages first, several minutes
# (HISTORY_MESSAGES and HISTORY_REQUESTS change the sizes).
set -euo pipefail

parleyd=$(realpath "$1")
bench=$(realpath "$2")
out=$3
repeats=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
mkdir -p "$out"

declare -A scenarios=(
  [direct-1k]="--users 100 --rate 1000 --duration 15 --warmup 2"
  [direct-5k]="--users 100 --rate 5000 --duration 15 --warmup 2"
  [direct-10k]="--users 100 --rate 10000 --duration 15 --warmup 2"
  [direct-15k]="--users 100 --rate 15000 --duration 15 --warmup 2"
  [direct-20k]="--users 100 --rate 20000 --duration 15 --warmup 2"
  [group50-200]="--users 200 --mode group --group-size 50 --rate 200 --duration 15 --warmup 2"
  [group50-500]="--users 200 --mode group --group-size 50 --rate 500 --duration 15 --warmup 2"
  [group50-1000]="--users 200 --mode group --group-size 50 --rate 1000 --duration 15 --warmup 2"
  [group50-2000]="--users 200 --mode group --group-size 50 --rate 2000 --duration 15 --warmup 2"
  # 10 groups of 100: each send is 100 deliveries (the sender's own device included).
  [group100-500]="--users 1000 --mode group --group-size 100 --rate 500 --duration 15 --warmup 2"
  [group100-1000]="--users 1000 --mode group --group-size 100 --rate 1000 --duration 15 --warmup 2"
  [group100-3000]="--users 1000 --mode group --group-size 100 --rate 3000 --duration 15 --warmup 2"
  [idle-10k]="--users 2 --connections-only --idle-connections 10000 --duration 10 --settle 5"
  # Texts of 12 English words (about 60 bytes): each message adds ~30 search index keys.
  [words-10k]="--users 100 --rate 10000 --duration 15 --warmup 2 --text-words 12"
  [words-15k]="--users 100 --rate 15000 --duration 15 --warmup 2 --text-words 12"
  # An offline device catches up on 10,000 messages: from the cursor of an
  # earlier connection, or as a fresh login from the start of the log ("o0").
  [backlog-10k]="--mode backlog --backlog-messages 10000 --repeats 5"
  [backlog-10k-start]="--mode backlog --backlog-messages 10000 --repeats 5 --backlog-cursor start"
  # 10 s at 15,000 msg/s, a burst of 30 s at three times that, 20 s at half.
  [overload-3x]="--users 100 --rate 15000 --rate-phases 1x:10,3x:30,0.5x:20 --warmup 2"
)
order=(direct-1k direct-5k direct-10k direct-15k direct-20k group50-200 group50-500 group50-1000 group50-2000 idle-10k)
per_core=(direct-1k direct-15k direct-20k group100-500 group100-3000 idle-10k backlog-10k backlog-10k-start overload-3x
  history-1m)
server_cpu=() bench_cpu=() server_flags=() bench_flags=()
if [ "${ONE_CORE:-0}" = 1 ]; then
  server_cpu=(taskset -c 0) bench_cpu=(taskset -c 1) server_flags=(--threads 1) bench_flags=(--threads 1)
fi
if (( $# > 0 )); then
  order=()
  for name in "$@"; do
    if [ "$name" = per-core ]; then order+=("${per_core[@]}"); else order+=("$name"); fi
  done
fi
search_bench=$(realpath "${SEARCH_BENCH:-$(dirname "$bench")/search/parley-search-bench}")

# The machine may be shared: before each run, wait (at most QUIET_WAIT
# seconds) until the other processes use less than QUIET_CORES cores.
QUIET_CORES=${QUIET_CORES:-0.3}
QUIET_WAIT=${QUIET_WAIT:-600}
busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
wait_quiet() {
  local deadline=$(( SECONDS + QUIET_WAIT )) a b hz
  hz=$(getconf CLK_TCK)
  while (( SECONDS < deadline )); do
    a=$(busy_jiffies); sleep 2; b=$(busy_jiffies)
    awk -v d=$(( b - a )) -v hz="$hz" -v max="$QUIET_CORES" 'BEGIN{exit !(d / hz / 2 < max)}' && return
  done
  echo "machine still busy after ${QUIET_WAIT}s; running anyway" >&2
}

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 30000 ))
    ss -ltn "( sport = :$port )" | grep -q LISTEN || { echo "$port"; return; }
  done
}

run_once() {
  local name=$1 args=$2 data port pid rc
  wait_quiet
  data=$(mktemp -d /tmp/parley-bench-data.XXXXXX)
  port=$(free_port)
  "${server_cpu[@]}" "$parleyd" --listen "127.0.0.1:$port" --data-dir "$data" --max-frames-per-second 0 \
    --login-address-burst 0 "${server_flags[@]}" 2>"$out/$name.parleyd.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  rc=0
  # shellcheck disable=SC2086
  "${bench_cpu[@]}" "$bench" --server "127.0.0.1:$port" --server-pid "$pid" --json "${bench_flags[@]}" $args \
    >>"$out/$name.jsonl" 2>>"$out/$name.bench.log" || rc=$?
  kill -TERM "$pid"
  wait "$pid" || true
  grep -E " (warning|error|critical) " "$out/$name.parleyd.log" | tail -5 >>"$out/$name.server-warnings.log" || true
  rm -rf "$data"
  echo "$name: exit $rc, load $(cut -d' ' -f1 /proc/loadavg)"
}

# History pages in a chat of a million messages (run_history.sh: parleyd
# pinned to core 0 with one I/O thread, the client on core 1).
run_history_once() {
  local name=$1 rc=0
  wait_quiet
  "$(dirname "$0")/run_history.sh" "$parleyd" "$search_bench" "${HISTORY_MESSAGES:-1000000}" \
    "${HISTORY_REQUESTS:-2000}" --json \
    >>"$out/$name.jsonl" 2>>"$out/$name.bench.log" || rc=$?
  echo "$name: exit $rc, load $(cut -d' ' -f1 /proc/loadavg)"
}

for name in "${order[@]}"; do
  for _ in $(seq "$repeats"); do
    if [ "$name" = history-1m ]; then
      run_history_once "$name"
    else
      run_once "$name" "${scenarios[$name]}"
    fi
  done
done
