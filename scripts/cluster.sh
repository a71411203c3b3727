#!/usr/bin/env bash
# A Parley cluster on this machine, to try it: a private ZooKeeper, Redis and
# MariaDB (with MyRocks; scripts/services.sh) and N parleyd nodes, all on
# loopback with their data under one directory.
#
#   scripts/cluster.sh up [N]    install what is missing, build, start the engines and N nodes (default 3)
#   scripts/cluster.sh down      stop the nodes and the engines this script started (by PID)
#   scripts/cluster.sh status    each node (URL, PID, health) and each engine
#
# Node i listens on 127.0.0.1:$((PARLEY_CLUSTER_PORT + i)) (PARLEY_CLUSTER_PORT, default 8181)
# and keeps its data in $DIR/node<i>; DIR is PARLEY_CLUSTER_DIR (default ./cluster-data).
# The message log has two shards (databases parley_shard0 and parley_shard1).
# Extra parleyd flags: PARLEY_NODE_FLAGS (e.g. "--zookeeper-session 5").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${PARLEY_CLUSTER_DIR:-$ROOT/cluster-data}
BASE_PORT=${PARLEY_CLUSTER_PORT:-8181}
PARLEYD=$ROOT/build/src/app/parleyd
HOST=127.0.0.1

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

# The PID in DIR/node<i>/pid if that process is alive and still a parleyd of
# this directory (PIDs are reused).
node_pid() {
  local pid
  [ -f "$DIR/node$1/pid" ] || return 1
  pid=$(cat "$DIR/node$1/pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/node$1/data" || return 1
  echo "$pid"
}

nodes() {
  local d
  for d in "$DIR"/node*; do
    [ -d "$d" ] && echo "${d##*/node}"
  done | sort -n
}

healthz() { curl -fsS --max-time 2 "http://$HOST:$((BASE_PORT + $1))/healthz" 2>/dev/null; }

url_encode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [a-zA-Z0-9.~_-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  echo "$out"
}

start_node() {
  local i=$1 port=$((BASE_PORT + $1)) pid
  if pid=$(node_pid "$i"); then
    echo "node n$i already running (PID $pid)"
    return
  fi
  mkdir -p "$DIR/node$i/data"
  # shellcheck disable=SC1091
  . "$DIR/services/services.env"
  local credentials mariadb
  credentials="$(url_encode "$PARLEY_MARIADB_USER"):$(url_encode "$PARLEY_MARIADB_PASSWORD")"
  mariadb="mariadb://$credentials@$PARLEY_MARIADB_HOST:$PARLEY_MARIADB_PORT"
  local web_args=()
  [ -d "$ROOT/web" ] && web_args=(--web-root "$ROOT/web")
  # One VAPID key for every node: browsers' Web Push subscriptions are bound to it.
  if [ ! -s "$DIR/vapid_private.pem" ]; then
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/vapid_private.pem") ||
      die "cannot create $DIR/vapid_private.pem"
  fi
  # One admin token for every node (parley admin --token-file "$DIR/admin_token").
  if [ ! -s "$DIR/admin_token" ]; then
    (umask 077 && openssl rand -hex 32 >"$DIR/admin_token") || die "cannot create $DIR/admin_token"
  fi
  # shellcheck disable=SC2086,SC2016 # word-split flags; $$ is the child's own PID
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$DIR/node$i/pid" "$PARLEYD" --listen "$HOST:$port" \
    --data-dir "$DIR/node$i/data" --node-id "n$i" --zookeeper "$PARLEY_ZOOKEEPER" --redis "$PARLEY_REDIS" \
    --mariadb "$mariadb/parley_main" --mariadb-shard "$mariadb/parley_shard0" \
    --mariadb-shard "$mariadb/parley_shard1" --vapid-key-file "$DIR/vapid_private.pem" --admin-token-file "$DIR/admin_token" "${web_args[@]}" \
    ${PARLEY_NODE_FLAGS:-} \
    </dev/null >>"$DIR/node$i/parleyd.log" 2>&1 9>&- &
  local deadline=$((SECONDS + 60))
  until healthz "$i" >/dev/null; do
    if ! node_pid "$i" >/dev/null && [ -s "$DIR/node$i/pid" ]; then
      tail -n 20 "$DIR/node$i/parleyd.log" >&2
      die "node n$i exited during start-up (log: $DIR/node$i/parleyd.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "node n$i not healthy within 60 s (log: $DIR/node$i/parleyd.log)"
    sleep 0.2
  done
  echo "node n$i: http://$HOST:$port (PID $(node_pid "$i"))"
}

stop_node() {
  local i=$1 pid
  pid=$(node_pid "$i") || return 0
  # SIGTERM: the node leaves the ring and drains before it exits.
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  rm -f "$DIR/node$i/pid"
  echo "node n$i stopped"
}

cmd_up() {
  local count=${1:-3} i
  [[ "$count" =~ ^[1-9][0-9]?$ ]] || die "N must be 1 to 99, got $count"
  command -v curl >/dev/null || "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/build.sh" build
  mkdir -p "$DIR"
  "$ROOT/scripts/services.sh" up "$DIR/services"
  for ((i = 0; i < count; i++)); do start_node "$i"; done
  echo "cluster up: $count node(s); data and logs in $DIR; stop with scripts/cluster.sh down"
}

cmd_down() {
  local i
  [ -d "$DIR" ] || return 0
  for i in $(nodes); do stop_node "$i"; done
  [ ! -d "$DIR/services" ] || "$ROOT/scripts/services.sh" down "$DIR/services"
}

cmd_status() {
  local i pid status=0 health
  [ -d "$DIR" ] || die "no cluster in $DIR"
  for i in $(nodes); do
    if pid=$(node_pid "$i"); then
      if health=$(healthz "$i"); then
        echo "node n$i  http://$HOST:$((BASE_PORT + i))  PID $pid  healthy  $health"
      else
        echo "node n$i  http://$HOST:$((BASE_PORT + i))  PID $pid  UNHEALTHY"
        status=1
      fi
    else
      echo "node n$i  stopped"
    fi
  done
  "$ROOT/scripts/services.sh" status "$DIR/services" || status=1
  return $status
}

case "${1:-}" in
  up) cmd_up "${2:-3}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) die "usage: cluster.sh up [N] | down | status" ;;
esac
