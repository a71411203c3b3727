#!/usr/bin/env bash
# End-to-end tests of the web app: headless Debian Chromium driven by
# playwright-core against real parleyd processes.
#   PARLEYD=path/to/parleyd tests/e2e/run.sh [test files…]
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing Debian's chromium" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

export PARLEYD="${PARLEYD:-$(cd ../.. && pwd)/build/src/app/parleyd}"
if [ ! -x "$PARLEYD" ]; then
  echo "e2e: parleyd not found at $PARLEYD (build it, or set PARLEYD)" >&2
  exit 1
fi

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(tests/*.test.js)
fi
# One scenario at a time: each starts its own parleyd and Chromium.
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
