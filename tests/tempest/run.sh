#!/usr/bin/env bash
# Runs a tempest subset against a fresh all-in-one: tests/tempest/run.sh '<regex>' [--exclude-list F]
set -euo pipefail
cd "$(dirname "$0")/../.."
regex="$1"; shift || true
# Tempest runs from its workspace: make list files given relative to the repository absolute.
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --exclude-list|--include-list|--blacklist-file|--whitelist-file) args+=("$1" "$(realpath "$2")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
command -v tempest >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tempest >/dev/null
work=$(mktemp -d /tmp/nimbus-tempest-XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mqtt=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export NIMBUS_STATE_DIR="$work/state" NIMBUS_PORT="$port" NIMBUS_MQTT_PORT="$mqtt" NIMBUS_CLOUDS_YAML="$work/clouds.yaml"
export NIMBUS_GUEST_IMAGE="${NIMBUS_TEST_GUEST_IMAGE:-/var/cache/nimbus/nimbus-guest.qcow2}" NIMBUS_NAME_PREFIX="nimbus-tempest$port-" NIMBUS_LOCAL_HOST_ID="tempest-$port"
# Test guests are throwaway: a short ACPI grace before power-off keeps stop/resize tests quick.
export NIMBUS_STOP_GRACE_SECONDS="${NIMBUS_STOP_GRACE_SECONDS:-5}"
# Guest disks are thin qcow2 overlays, but claims count flavor sizes: four workers resizing to 20 GB
# flavors at once claim more than this machine's free disk at Nova's default ratio of 1.0.
export NIMBUS_DISK_ALLOCATION_RATIO="${NIMBUS_DISK_ALLOCATION_RATIO:-4}"
node --import tsx edge/src/node/all-in-one.ts > "$work/nimbus.log" 2>&1 &
pid=$!
# On exit, stop the cloud and remove any guest tempest left behind (they carry this run's prefix).
cleanup() {
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  for d in $(virsh -c qemu:///system list --all --name | grep "^nimbus-tempest$port-" || true); do
    virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    virsh -c qemu:///system undefine "$d" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
for _ in $(seq 1 300); do grep -q "registered:" "$work/nimbus.log" && break; sleep 0.2; done
grep -q "registered:" "$work/nimbus.log" || { cat "$work/nimbus.log"; exit 1; }
api="http://127.0.0.1:$port"
admin_pw=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$NIMBUS_STATE_DIR/keys/passwords.json")
export OS_CLIENT_CONFIG_FILE="$work/clouds.yaml"
image=$(openstack --os-cloud nimbus-admin image show nimbus-guest -f value -c id)
public=$(openstack --os-cloud nimbus-admin network show public -f value -c id)
(cd "$work" && tempest init --name "$(basename "$work")" ws >/dev/null)
sed -e "s#@API@#$api#g" -e "s#@ADMIN_PASSWORD@#$admin_pw#g" -e "s#@IMAGE@#$image#g" -e "s#@PUBLIC_NET@#$public#g" \
  tests/tempest/tempest.conf.template > "$work/ws/etc/tempest.conf"
cd "$work/ws"
tempest run --regex "$regex" --concurrency "${TEMPEST_CONCURRENCY:-2}" "${args[@]}"
# Passed: drop the workspace (a failed run keeps it, with nimbus.log and tempest.log, for a look).
cd / && cleanup
rm -rf "$work"
