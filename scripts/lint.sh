#!/usr/bin/env bash
# Checks that every C++ file is formatted as .clang-format says (fast; part
# of scripts/test.sh). `scripts/lint.sh --fix` formats them in place;
# `scripts/lint.sh --tidy [BUILD_DIR]` also runs clang-tidy (.clang-tidy)
# over src/ with the build's compile_commands.json (minutes, not in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
# New files count before they are committed, so a check before the commit sees them.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
case "${1:-}" in
  --fix)
    clang-format -i "${files[@]}"
    ;;
  --tidy)
    # clang-tidy cannot read GCC's precompiled headers: check with a copy of
    # the compile commands that includes the headers themselves instead.
    tidy_dir="${2:-build}/tidy"
    mkdir -p "$tidy_dir"
    python3 - "${2:-build}/compile_commands.json" "$tidy_dir/compile_commands.json" <<'PY'
import json, re, sys
commands = json.load(open(sys.argv[1]))
for c in commands:
    c["command"] = re.sub(r"-Winvalid-pch|-include \S*cmake_pch\.hxx", "", c["command"])
json.dump(commands, open(sys.argv[2], "w"))
PY
    run-clang-tidy -quiet -p "$tidy_dir" "$PWD/src/"
    ;;
  *)
    unformatted=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 | grep -oE '^[^:]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u || true)
    if [ -n "$unformatted" ]; then
      echo "not formatted as .clang-format says (run scripts/lint.sh --fix):" >&2
      echo "$unformatted" >&2
      exit 1
    fi
    ;;
esac
