#!/usr/bin/env bash
# Installs the Debian 12 packages Parley needs to build and test, if missing.
# Idempotent and silent when everything is present.
#
# The cluster's engines (ZooKeeper, Redis, MariaDB with MyRocks) are installed
# as programs only: scripts/services.sh runs private instances of them. No
# system service may start here, so the install runs under a policy-rc.d that
# forbids it, and any service a package still started is stopped afterwards.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librocksdb-dev libsodium-dev libssl-dev
  # Web Push: certificates of browsers' push services; openssl makes a cluster's VAPID key.
  ca-certificates openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev
  curl procps clang-format
  chromium
  # Cluster engines and their client libraries. `zookeeper`, not `zookeeperd`:
  # the latter sets up a system service.
  zookeeper default-jre-headless libzookeeper-mt-dev
  redis-server libhiredis-dev
  mariadb-server mariadb-plugin-rocksdb libmariadb-dev
)
# Packages whose install would normally start a system service.
SERVICES=(redis-server mariadb zookeeper)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Node.js runs the browser tests; the machine image usually brings Node 20.
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

# invoke-rc.d and deb-systemd-invoke skip starting services while
# policy-rc.d exits 101. Remove it afterwards only if it was ours.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Installed by Parley scripts/install-deps.sh for the length of an install.\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi
cleanup() {
  if [ "$own_policy" = 1 ]; then $SUDO rm -f "$policy"; fi
}
trap cleanup EXIT

# Which of the service packages this install adds: only those are stopped and
# disabled below (a service someone set up before is left alone).
new_services=()
for svc in "${SERVICES[@]}"; do
  pkg=$svc
  [ "$svc" = mariadb ] && pkg=mariadb-server
  for m in "${missing[@]}"; do
    if [ "$m" = "$pkg" ]; then new_services+=("$svc"); fi
  done
done

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for svc in ${new_services[@]+"${new_services[@]}"}; do
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
done
