#!/usr/bin/env bash
# scripts/start.sh's extra arguments override its defaults instead of
# repeating a flag: checks scripts/parleyd_args.sh without building or
# starting anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/parleyd_args.sh
failures=0

expect() {  # expect "WANTED ARGS" ARGS...
  local wanted="$1"
  shift
  parleyd_args "$@"
  local got="${PARLEYD_ARGS[*]}"
  if [ "$got" != "$wanted" ]; then
    echo "FAIL: parleyd_args $*"
    echo "  wanted: $wanted"
    echo "  got:    $got"
    failures=$((failures + 1))
  fi
}

expect "--listen 127.0.0.1:8080 --data-dir ./data --web-root web"
expect "--data-dir ./data --web-root web --listen 0.0.0.0:9000" --listen 0.0.0.0:9000
expect "--data-dir ./data --web-root web --listen=0.0.0.0:9000" --listen=0.0.0.0:9000
expect "--listen 127.0.0.1:8080 --web-root web --data-dir /tmp/d --threads 2" --data-dir /tmp/d --threads 2
expect "--listen 127.0.0.1:8080 --data-dir ./data --web-root /srv/app" --web-root /srv/app
expect "--listen :1 --data-dir d --web-root w" --listen :1 --data-dir d --web-root w
# A value that merely looks like a flag name is not that flag.
expect "--listen 127.0.0.1:8080 --data-dir ./data --web-root web --log-level --listen-x" --log-level --listen-x
# Values with spaces stay one argument.
parleyd_args --data-dir "/tmp/a b"
if [ "${#PARLEYD_ARGS[@]}" -ne 6 ] || [ "${PARLEYD_ARGS[5]}" != "/tmp/a b" ]; then
  echo "FAIL: a value with a space was split: ${PARLEYD_ARGS[*]}"
  failures=$((failures + 1))
fi
# Without a web/ directory there is no --web-root default.
empty_dir=$(mktemp -d)
(cd "$empty_dir" && parleyd_args && [ "${PARLEYD_ARGS[*]}" = "--listen 127.0.0.1:8080 --data-dir ./data" ]) ||
  { echo "FAIL: --web-root given without a web/ directory"; failures=$((failures + 1)); }
rmdir "$empty_dir"

[ "$failures" -eq 0 ] && echo "start.sh arguments: all passed"
exit "$failures"
