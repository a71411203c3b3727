#!/usr/bin/env bash
# Checks that every C++ file is formatted as .clang-format says (fast; part
# of scripts/test.sh). `scripts/lint.sh --fix` formats them in place;
# `scripts/lint.sh --tidy [BUILD_DIR]` also runs clang-tidy (.clang-tidy)
# over src/ with the build's compile_commands.json (minutes, not in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h')
case "${1:-}" in
  --fix)
    clang-format -i "${files[@]}"
    ;;
  --tidy)
    clang-format --dry-run --Werror "${files[@]}"
    run-clang-tidy -quiet -p "${2:-build}" "$PWD/src/"
    ;;
  *)
    clang-format --dry-run --Werror "${files[@]}"
    ;;
esac
