# Sourced by scripts/start.sh (and its test): the arguments start.sh gives
# parleyd. Its defaults (--listen, --data-dir, --web-root) are dropped when the
# caller gives that flag itself, as "--flag VALUE" or "--flag=VALUE", so an
# extra argument overrides a default instead of repeating the flag (which
# parleyd refuses).

# parleyd_args ARGS...: sets the array PARLEYD_ARGS to the defaults the
# caller did not override, followed by ARGS unchanged.
parleyd_args() {
  local -A given=()
  local arg
  for arg in "$@"; do
    case "$arg" in
      --listen | --listen=*) given[listen]=1 ;;
      --data-dir | --data-dir=*) given[data-dir]=1 ;;
      --web-root | --web-root=*) given[web-root]=1 ;;
    esac
  done
  PARLEYD_ARGS=()
  [ -n "${given[listen]:-}" ] || PARLEYD_ARGS+=(--listen 127.0.0.1:8080)
  [ -n "${given[data-dir]:-}" ] || PARLEYD_ARGS+=(--data-dir ./data)
  if [ -z "${given[web-root]:-}" ] && [ -d web ]; then PARLEYD_ARGS+=(--web-root web); fi
  PARLEYD_ARGS+=("$@")
}
