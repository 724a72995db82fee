#!/usr/bin/env bash
# npm start: the all-in-one cloud on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export NIMBUS_STATE_DIR="${NIMBUS_STATE_DIR:-/var/lib/nimbus}"
export NIMBUS_GUEST_IMAGE="${NIMBUS_GUEST_IMAGE:-$NIMBUS_STATE_DIR/guest/nimbus-guest.qcow2}"
mkdir -p "$(dirname "$NIMBUS_GUEST_IMAGE")"
bash scripts/build-guest-image.sh "$NIMBUS_GUEST_IMAGE"
exec node --import tsx edge/src/node/all-in-one.ts
