#!/usr/bin/env bash
# History pages in a big chat (docs/benchmarks.md, "Scenarios for the
# per-core targets"): fills a fresh data directory with one chat of MESSAGES
# messages (parley-search-bench fill --big-chat-share 1), starts parleyd on it
# pinned to core 0 with one I/O thread, and times REQUESTS history pages
# (GET /v1/chats/{id}/messages?before=SEQ&limit=50, SEQ uniform over the
# chat, one keep-alive connection) with the client pinned to core 1. Stops
# parleyd by its pid; keeps the directory when KEEP=1. Extra arguments go to
# `parley-search-bench history` (--json, --limit, --seed).
#
#   clients/bench/run_history.sh build/src/app/parleyd build/clients/bench/search/parley-search-bench [MESSAGES] [REQUESTS] [ARGS...]
set -euo pipefail
parleyd=$(realpath "$1")
bench=$(realpath "$2")
messages=${3:-1000000}
requests=${4:-2000}
shift $(( $# < 4 ? $# : 4 ))
dir=$(mktemp -d /tmp/parley-history-bench.XXXXXX)
# The fill's report goes to stderr, so that stdout holds only the figures (--json).
taskset -c 1 "$bench" fill --data-dir "$dir/data" --messages "$messages" --big-chat-share 1 >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 "$parleyd" --listen "127.0.0.1:$port" --data-dir "$dir/data" --threads 1 --max-frames-per-second 0 \
  >"$dir/parleyd.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
taskset -c 1 "$bench" history --server "127.0.0.1:$port" --requests "$requests" "$@"
echo "parleyd RSS: $(awk '/VmRSS/{print $2, $3}' /proc/$pid/status)" >&2
