#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, then
# integration against real parleyd processes). Exits non-zero on any failure.
# SANITIZE=1 runs the same suite built with AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Formatting first: it takes a second and needs no build.
scripts/lint.sh
build_dir=build
[ "${SANITIZE:-0}" = "1" ] && build_dir=build-asan
scripts/build.sh "$build_dir"
# Connection tests need more descriptors than the usual soft limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$build_dir"
ctest --output-on-failure --timeout 600 -j "${TEST_JOBS:-2}"
