#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs parleyd on
# 127.0.0.1:8080 with its data in ./data. Extra arguments go to parleyd and
# override those defaults (scripts/start.sh --listen 0.0.0.0:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/parleyd_args.sh
scripts/install-deps.sh
scripts/build.sh build
parleyd_args "$@"
exec build/src/app/parleyd "${PARLEYD_ARGS[@]}"
