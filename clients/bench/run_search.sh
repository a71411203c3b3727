#!/usr/bin/env bash
# The search figures of docs/benchmarks.md ("Search"): fills a fresh data
# directory with MESSAGES messages (parley-search-bench fill), starts parleyd
# on it, times the queries (parley-search-bench query), stops parleyd by its
# pid. Keeps the directory when KEEP=1.
#
#   clients/bench/run_search.sh build/src/app/parleyd build/clients/bench/search/parley-search-bench [MESSAGES]
set -euo pipefail
parleyd=$(realpath "$1")
bench=$(realpath "$2")
messages=${3:-1000000}
dir=$(mktemp -d /tmp/parley-search-bench.XXXXXX)
"$bench" fill --data-dir "$dir/data" --messages "$messages"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$parleyd" --listen "127.0.0.1:$port" --data-dir "$dir/data" --max-frames-per-second 0 >"$dir/parleyd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
"$bench" query --server "127.0.0.1:$port" --repeats "${REPEATS:-200}"
echo "parleyd RSS: $(awk '/VmRSS/{print $2, $3}' /proc/$pid/status)"
