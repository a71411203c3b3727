#!/usr/bin/env bash
# Configures and builds Parley. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# SANITIZE=1 builds with AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
shift || true
args=(-G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}")
[ "${SANITIZE:-0}" = "1" ] && args+=(-DPARLEY_SANITIZE=ON)
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" "${args[@]}" "$@" >/dev/null
fi
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
