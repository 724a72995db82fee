#!/usr/bin/env bash
# npm test: installs what the suite needs, then runs all of it (unit, API, integration, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export NIMBUS_TEST_GUEST_IMAGE="${NIMBUS_TEST_GUEST_IMAGE:-/var/cache/nimbus/nimbus-guest.qcow2}"
mkdir -p "$(dirname "$NIMBUS_TEST_GUEST_IMAGE")"
bash scripts/build-guest-image.sh "$NIMBUS_TEST_GUEST_IMAGE"
npx tsc --noEmit -p .
npx wrangler deploy --dry-run --outdir "$(mktemp -d)" >/dev/null
npx vitest run "$@"
