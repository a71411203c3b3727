#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs parleyd on
# 127.0.0.1:8080 with its data in ./data. Extra arguments go to parleyd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
web_args=()
[ -d web ] && web_args=(--web-root web)
exec build/src/app/parleyd --listen 127.0.0.1:8080 --data-dir ./data "${web_args[@]}" "$@"
