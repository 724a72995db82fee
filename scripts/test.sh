#!/usr/bin/env bash
# npm test: installs what the suite needs, then runs all of it: type-check, the Workers bundle,
# vitest (unit, API, integration, end-to-end) and tempest's API tests for the implemented services.
# `npm test -- <vitest args>` runs only the matching vitest files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export NIMBUS_TEST_GUEST_IMAGE="${NIMBUS_TEST_GUEST_IMAGE:-/var/cache/nimbus/nimbus-guest.qcow2}"
mkdir -p "$(dirname "$NIMBUS_TEST_GUEST_IMAGE")"
bash scripts/build-guest-image.sh "$NIMBUS_TEST_GUEST_IMAGE"
if [ $# -gt 0 ]; then exec npx vitest run "$@"; fi

npx tsc --noEmit -p .
npx wrangler deploy --dry-run --outdir "$(mktemp -d)" >/dev/null
npx vitest run

# OpenStack's own API tests (tempest 33) for the implemented services, in one run against one
# fresh all-in-one: tempest's dynamic credentials isolate the test classes, and one run with four
# workers keeps the CPUs busy while tests wait on servers, where suite after suite left them idle.
suites=(identity compute compute-resources image volume network)
regex=$(for suite in "${suites[@]}"; do printf '(%s)\n' "$(cat "tests/tempest/$suite.regex")"; done | paste -sd'|')
exclude=$(mktemp)
for suite in "${suites[@]}"; do cat "tests/tempest/$suite.exclude" 2>/dev/null || true; done > "$exclude"
echo "== tempest: ${suites[*]}"
TEMPEST_CONCURRENCY="${TEMPEST_CONCURRENCY:-4}" bash tests/tempest/run.sh "$regex" --exclude-list "$exclude"
