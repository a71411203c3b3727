#!/usr/bin/env bash
# Private instances of the engines Parley's cluster runs on: one ZooKeeper,
# one Redis, one MariaDB (with MyRocks), all under one directory, on free
# loopback ports, never a system service.
#
#   scripts/services.sh up     DIR [zookeeper|redis|mariadb]  start (no-op if running), wait until healthy
#   scripts/services.sh down   DIR [zookeeper|redis|mariadb]  stop by PID: TERM, wait, then KILL
#   scripts/services.sh status DIR                            each service with its health; non-zero if any is not healthy
#
# Layout: DIR/<service>/{data/,<config>,<service>.log,pid,port}; DIR/services.env
# holds shell-sourceable KEY=VALUE lines (addresses, MariaDB user and password,
# PIDs) and is rewritten after every up/down. A service keeps its port and its
# data across restarts, so `up` after a crash starts it again where it was.
#
# Environment: PARLEY_ZK_TICK_MS (500), PARLEY_ZK_MIN_SESSION_MS (1000) and
# PARLEY_ZK_MAX_SESSION_MS (60000) bound the session timeouts clients may ask
# for; they apply when ZooKeeper starts. PARLEY_SERVICES_OWNER=PID makes `up`
# leave a watchdog that runs `down DIR` once that process is gone, so a
# crashed test binary leaves nothing running.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "$0")" && pwd)
ALL=(zookeeper redis mariadb)
HOST=127.0.0.1

die() {
  echo "services.sh: $*" >&2
  exit 1
}

usage() { die "usage: services.sh up|down|status DIR [zookeeper|redis|mariadb]"; }

# --- processes --------------------------------------------------------------

# The PID in DIR/<svc>/pid if that process is alive and still the one we
# started (its command line names our directory: PIDs are reused).
live_pid() {
  local svc=$1 pid state
  [ -f "$DIR/$svc/pid" ] || return 1
  pid=$(cat "$DIR/$svc/pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  # A zombie is dead even though kill -0 succeeds.
  state=$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$DIR/$svc/" || return 1
  echo "$pid"
}

# Runs "$@" in its own session (a Ctrl-C or the caller's process group dying
# does not reach it), stdout and stderr appended to $log; the PID, written
# before exec, is the service's own.
spawn() {
  local pidfile=$1 log=$2
  shift 2
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 9>&- &
  local deadline=$((SECONDS + 10))
  until [ -s "$pidfile" ]; do
    [ $SECONDS -lt $deadline ] || die "could not start $*"
    sleep 0.05
  done
}

stop_pid() {
  local svc=$1 pid
  pid=$(live_pid "$svc") || {
    rm -f "$DIR/$svc/pid"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  # MariaDB flushes on TERM; give it time before KILL.
  local deadline=$((SECONDS + 30))
  while live_pid "$svc" >/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if live_pid "$svc" >/dev/null; then
    echo "services.sh: $svc (pid $pid) ignored TERM; killing" >&2
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while live_pid "$svc" >/dev/null; do
      [ $SECONDS -lt $deadline ] || die "$svc (pid $pid) survived KILL"
      sleep 0.1
    done
  fi
  rm -f "$DIR/$svc/pid"
}

# --- ports ------------------------------------------------------------------

# A TCP port nothing listens on, below the kernel's ephemeral range (32768+)
# so that it never collides with outgoing connections or with the port-0
# listeners of parleyd tests. A race with another process is caught when the
# service fails to bind: start() then retries with another port.
free_port() {
  local port hex
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    hex=$(printf '%04X' "$port")
    if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{print $2, $4}' | grep -qE ":$hex 0A$"; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

port_of() {
  local svc=$1
  if [ ! -s "$DIR/$svc/port" ]; then
    free_port >"$DIR/$svc/port"
  fi
  cat "$DIR/$svc/port"
}

bind_failed() { grep -qiE "address already in use|bind on tcp/ip port" "$1" 2>/dev/null; }

# --- health -----------------------------------------------------------------

zookeeper_healthy() {
  local port out
  port=$(cat "$DIR/zookeeper/port")
  # `srvr` answers "Mode: standalone" once the server serves requests (and
  # "not currently serving requests" before); `ruok` says imok too early.
  out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf srvr >&3 && cat <&3' "$HOST" "$port" 2>/dev/null) || true
  [[ "$out" == *"Mode: "* ]]
}

redis_healthy() {
  [ "$(timeout 3 redis-cli -h "$HOST" -p "$(cat "$DIR/redis/port")" ping 2>/dev/null)" = PONG ]
}

# The account mariadb-install-db gives full rights over the socket: the OS
# user who ran it (unix_socket authentication).
mariadb_admin_user() { id -un; }

mariadb_healthy() {
  timeout 5 mariadb-admin --no-defaults --socket="$DIR/mariadb/mariadb.sock" -u "$(mariadb_admin_user)" \
    ping >/dev/null 2>&1
}

healthy() { "${1}_healthy"; }

# --- configuration and start, per service -----------------------------------

start_zookeeper() {
  local d=$DIR/zookeeper port
  mkdir -p "$d/data"
  port=$(port_of zookeeper)
  cat >"$d/zoo.cfg" <<EOF
# Written by scripts/services.sh on each start.
tickTime=${PARLEY_ZK_TICK_MS:-500}
minSessionTimeout=${PARLEY_ZK_MIN_SESSION_MS:-1000}
maxSessionTimeout=${PARLEY_ZK_MAX_SESSION_MS:-60000}
dataDir=$d/data
clientPort=$port
clientPortAddress=$HOST
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,stat,mntr
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
  # zookeeper.jar's manifest names its dependencies; slf4j-simple sends the
  # log to stderr, i.e. to zookeeper.log. A small heap and serial GC: the
  # machine is small and the load is a handful of nodes' sessions.
  spawn "$d/pid" "$d/zookeeper.log" java -Xms16m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dzookeeper.jmx.log4j.disable=true \
    -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg"
}

start_redis() {
  local d=$DIR/redis port
  mkdir -p "$d/data"
  port=$(port_of redis)
  # Redis is not the source of truth for Parley: no persistence.
  cat >"$d/redis.conf" <<EOF
# Written by scripts/services.sh on each start.
bind $HOST
port $port
protected-mode yes
daemonize no
supervised no
dir $d/data
logfile $d/redis.log
save ""
appendonly no
# Keeps the config path in the process title, which is how down/status tell
# this server from another process that reused its PID.
proc-title-template "{title} {listen-addr} {server-mode} {config-file}"
EOF
  spawn "$d/pid" "$d/redis.log" redis-server "$d/redis.conf"
}

MYROCKS_TABLE_OPTIONS="block_based_table_factory={index_type=kTwoLevelIndexSearch;partition_filters=true;\
metadata_block_size=4096;filter_policy=bloomfilter:10:false}"

start_mariadb() {
  local d=$DIR/mariadb port
  local -a as_user=() socket_user=(--auth-root-socket-user="$(id -un)")
  mkdir -p "$d"
  port=$(port_of mariadb)
  [ -s "$d/password" ] || (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$d/password")
  if [ "$(id -u)" -eq 0 ]; then
    # mariadbd refuses to run as root; as mysql it must reach DIR and own its files.
    as_user=(--user=mysql)
    socket_user=()
    chmod o+x "$DIR"
    chown -R mysql:mysql "$d"
    runuser -u mysql -- test -w "$d" || die "user mysql cannot write $d (a parent directory not searchable?)"
  fi
  if [ ! -d "$d/data/mysql" ]; then
    rm -rf "$d/data"
    mkdir -p "$d/data"
    [ "$(id -u)" -ne 0 ] || chown mysql:mysql "$d/data"
    if ! mariadb-install-db --no-defaults --datadir="$d/data" "${as_user[@]}" \
      --auth-root-authentication-method=socket ${socket_user[@]+"${socket_user[@]}"} --skip-test-db >"$d/install.log" 2>&1; then
      tail -n 30 "$d/install.log" >&2
      rm -rf "$d/data"
      die "mariadb-install-db failed (log: $d/install.log)"
    fi
  fi
  # --no-defaults: nothing from /etc/mysql. MyRocks is loaded at start-up:
  # INSTALL SONAME crashes Debian 12's build. Small caches for a small
  # machine; durability settings stay at their (synced) defaults.
  # MyRocks tables: a partitioned index and Bloom filters. With RocksDB's
  # default single index block per file, a grown file's index (hundreds of
  # KB) no longer stays in a small block cache and every insert's unique-key
  # checks read and decompress it again: acks went from 10 ms to seconds at
  # 250k messages. Partitions are read 4 KB at a time and stay cached.
  spawn "$d/pid" "$d/mariadb.log" mariadbd --no-defaults "${as_user[@]}" \
    --datadir="$d/data" --socket="$d/mariadb.sock" --port="$port" --bind-address=$HOST \
    --pid-file="$d/mariadbd.pid" --log-error="$d/mariadb.log" \
    --plugin-load-add=ha_rocksdb.so \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=32M --key-buffer-size=8M \
    --rocksdb-block-cache-size=16M --rocksdb-db-write-buffer-size=32M \
    --rocksdb-block-size=16384 --rocksdb-default-cf-options="$MYROCKS_TABLE_OPTIONS" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --skip-name-resolve --max-connections=500
}

# After the first ping: the account Parley uses, and proof that MyRocks works.
setup_mariadb() {
  local d=$DIR/mariadb pw sql support
  pw=$(cat "$d/password")
  local -a admin=(mariadb --no-defaults --socket="$d/mariadb.sock" -u "$(mariadb_admin_user)" -N -B)
  sql=""
  for h in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS 'parley'@'$h' IDENTIFIED BY '$pw';"
    sql+="ALTER USER 'parley'@'$h' IDENTIFIED BY '$pw';"
    sql+="GRANT ALL PRIVILEGES ON \`parley%\`.* TO 'parley'@'$h';"
  done
  "${admin[@]}" -e "$sql" || return 1
  support=$("${admin[@]}" -e "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE='ROCKSDB'") || return 1
  case "$support" in
    YES | DEFAULT) ;;
    *)
      echo "services.sh: MyRocks is not available (ROCKSDB support: '${support:-none}')" >&2
      return 1
      ;;
  esac
  "${admin[@]}" -e "CREATE DATABASE IF NOT EXISTS parley_services_check;
    CREATE OR REPLACE TABLE parley_services_check.probe (id INT PRIMARY KEY) ENGINE=ROCKSDB;
    INSERT INTO parley_services_check.probe VALUES (1);
    DROP DATABASE parley_services_check;" || return 1
}

log_of() {
  case $1 in
    zookeeper) echo "$DIR/zookeeper/zookeeper.log" ;;
    redis) echo "$DIR/redis/redis.log" ;;
    mariadb) echo "$DIR/mariadb/mariadb.log" ;;
  esac
}

deadline_of() {
  case $1 in
    zookeeper) echo 90 ;;
    redis) echo 30 ;;
    mariadb) echo 120 ;; # crash recovery of a large data dir takes a while
  esac
}

# --- up / down / status -----------------------------------------------------

# Starts $svc unless it is running. Sets STARTED_<svc>=1 when it did.
start() {
  local svc=$1
  if live_pid "$svc" >/dev/null; then
    return 0
  fi
  rm -f "$DIR/$svc/pid"
  mkdir -p "$DIR/$svc"
  "start_$svc"
}

# Waits until $svc answers. A service that dies while starting: when it
# could not bind its fresh port, start it again on another port (up to 3
# times); otherwise print its log's tail and fail.
wait_healthy() {
  local svc=$1 log tries=0 deadline
  log=$(log_of "$svc")
  deadline=$((SECONDS + $(deadline_of "$svc")))
  while :; do
    if healthy "$svc"; then
      if [ "$svc" = mariadb ] && ! setup_mariadb; then
        tail -n 30 "$log" >&2
        die "mariadb answers but could not be set up (log: $log)"
      fi
      return 0
    fi
    if ! live_pid "$svc" >/dev/null; then
      if bind_failed "$log" && [ ! -f "$DIR/$svc/started-once" ] && [ $tries -lt 3 ]; then
        tries=$((tries + 1))
        echo "services.sh: $svc port $(cat "$DIR/$svc/port") taken; trying another" >&2
        rm -f "$DIR/$svc/port" "$DIR/$svc/pid"
        : >"$log"
        "start_$svc"
        deadline=$((SECONDS + $(deadline_of "$svc")))
        continue
      fi
      tail -n 30 "$log" >&2
      die "$svc exited while starting (log: $log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$log" >&2
      die "$svc not healthy after $(deadline_of "$svc") s (log: $log)"
    fi
    sleep 0.1
  done
}

write_env() {
  local env=$DIR/services.env tmp pid
  tmp=$(mktemp "$DIR/.services.env.XXXXXX")
  {
    echo "# Written by scripts/services.sh; a PID is empty while its service is down."
    echo "PARLEY_SERVICES_DIR=$DIR"
    if [ -s "$DIR/zookeeper/port" ]; then
      pid=$(live_pid zookeeper) || pid=""
      echo "PARLEY_ZOOKEEPER=$HOST:$(cat "$DIR/zookeeper/port")"
      echo "PARLEY_ZOOKEEPER_PID=$pid"
    fi
    if [ -s "$DIR/redis/port" ]; then
      pid=$(live_pid redis) || pid=""
      echo "PARLEY_REDIS=$HOST:$(cat "$DIR/redis/port")"
      echo "PARLEY_REDIS_PID=$pid"
    fi
    if [ -s "$DIR/mariadb/port" ]; then
      pid=$(live_pid mariadb) || pid=""
      echo "PARLEY_MARIADB=$HOST:$(cat "$DIR/mariadb/port")"
      echo "PARLEY_MARIADB_HOST=$HOST"
      echo "PARLEY_MARIADB_PORT=$(cat "$DIR/mariadb/port")"
      echo "PARLEY_MARIADB_SOCKET=$DIR/mariadb/mariadb.sock"
      echo "PARLEY_MARIADB_USER=parley"
      echo "PARLEY_MARIADB_PASSWORD=$(cat "$DIR/mariadb/password" 2>/dev/null)"
      echo "PARLEY_MARIADB_PID=$pid"
    fi
  } >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$env"
}

ensure_installed() {
  local f
  for f in /usr/bin/java /usr/share/java/zookeeper.jar /usr/share/java/slf4j-simple.jar /usr/bin/redis-server \
    /usr/bin/redis-cli /usr/sbin/mariadbd /usr/bin/mariadb-install-db /usr/bin/mariadb-admin \
    /usr/lib/mysql/plugin/ha_rocksdb.so; do
    if [ ! -e "$f" ]; then
      "$SCRIPTS/install-deps.sh"
      return
    fi
  done
}

# Leaves a process that brings DIR down once $PARLEY_SERVICES_OWNER exits.
start_watchdog() {
  local owner=${PARLEY_SERVICES_OWNER:-}
  [ -n "$owner" ] || return 0
  [[ "$owner" =~ ^[0-9]+$ ]] || die "PARLEY_SERVICES_OWNER must be a PID"
  if [ -f "$DIR/watchdog.pid" ] && kill -0 "$(cat "$DIR/watchdog.pid")" 2>/dev/null; then
    return 0
  fi
  setsid bash -c 'echo $$ >"$0/watchdog.pid"; while kill -0 "$1" 2>/dev/null; do sleep 1; done
    rm -f "$0/watchdog.pid"; exec "$2" down "$0"' "$DIR" "$owner" "$SCRIPTS/services.sh" \
    </dev/null >>"$DIR/watchdog.log" 2>&1 9>&- &
}

stop_watchdog() {
  [ -f "$DIR/watchdog.pid" ] || return 0
  local pid
  pid=$(cat "$DIR/watchdog.pid")
  # Not when the watchdog itself is the one bringing DIR down.
  if [ "$pid" != "$$" ] && [ "$pid" != "$PPID" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR"; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/watchdog.pid"
}

cmd_up() {
  ensure_installed
  local svc
  # Start everything first, then wait: the JVM and mariadb-install-db overlap.
  for svc in "${SERVICES[@]}"; do start "$svc"; done
  for svc in "${SERVICES[@]}"; do
    wait_healthy "$svc"
    touch "$DIR/$svc/started-once"
  done
  write_env
  start_watchdog
}

cmd_down() {
  local svc
  for svc in "${SERVICES[@]}"; do stop_pid "$svc"; done
  [ ${#SERVICES[@]} -ne ${#ALL[@]} ] || stop_watchdog
  write_env
}

cmd_status() {
  local svc pid rss state address all_ok=0
  for svc in "${ALL[@]}"; do
    address="-"
    [ ! -s "$DIR/$svc/port" ] || address="$HOST:$(cat "$DIR/$svc/port")"
    if pid=$(live_pid "$svc"); then
      rss=$(awk '/^VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$pid/status" 2>/dev/null)
      if healthy "$svc"; then state=healthy; else
        state=unhealthy
        all_ok=1
      fi
      printf '%-10s %-16s pid %-8s rss %-7s %s\n' "$svc" "$address" "$pid" "$rss" "$state"
    else
      printf '%-10s %-16s %s\n' "$svc" "$address" "stopped"
      all_ok=1
    fi
  done
  return $all_ok
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
shift 2
SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=("${ALL[@]}")
for svc in "${SERVICES[@]}"; do
  [[ " ${ALL[*]} " == *" $svc "* ]] || usage
done
# Paths go into config files, sockets and services.env unquoted.
[[ "$DIR" =~ ^[A-Za-z0-9._/-]+$ ]] || die "DIR may only contain letters, digits and . _ / -"
for var in PARLEY_ZK_TICK_MS PARLEY_ZK_MIN_SESSION_MS PARLEY_ZK_MAX_SESSION_MS; do
  [[ "${!var:-1}" =~ ^[1-9][0-9]*$ ]] || die "$var must be a positive number of milliseconds"
done
if [ "$CMD" = up ]; then
  mkdir -p "$DIR"
elif [ ! -d "$DIR" ]; then
  die "no such directory: $DIR"
fi
DIR=$(cd "$DIR" && pwd)
# A Unix socket path holds at most 107 bytes.
[ ${#DIR} -le 80 ] || die "DIR is too long for MariaDB's socket path: $DIR"

case $CMD in
  up | down)
    # One up/down at a time per DIR.
    exec 9>"$DIR/.lock"
    flock 9
    "cmd_$CMD"
    ;;
  status) cmd_status ;;
  *) usage ;;
esac
