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

# OpenStack's own API tests (tempest 33), each suite against a fresh all-in-one.
for suite in identity compute compute-resources image volume network; do
  regex_file="tests/tempest/$suite.regex"
  [ -f "$regex_file" ] || continue
  exclude=()
  [ -f "tests/tempest/$suite.exclude" ] && exclude=(--exclude-list "tests/tempest/$suite.exclude")
  echo "== tempest: $suite"
  # A suite may ask for more workers (tests/tempest/<suite>.concurrency), e.g. when tempest sleeps a lot.
  concurrency=$(cat "tests/tempest/$suite.concurrency" 2>/dev/null || echo "${TEMPEST_CONCURRENCY:-2}")
  TEMPEST_CONCURRENCY=$concurrency bash tests/tempest/run.sh "$(cat "$regex_file")" "${exclude[@]}"
done
