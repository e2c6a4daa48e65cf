#!/usr/bin/env bash
# Runs every test of Onsite on a fresh checkout: installs what the tests need,
# type-checks, lints, builds the single binary and runs the whole suite.
# Usage: bash test/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "test/run.sh: '$1' is required but missing: $2" >&2; exit 1; }
}

need node "install Node.js 20 or newer with npm"
need npm "install npm (comes with Node.js)"

# Debian packages the tests drive for real: Chromium for the browser tests;
# a Docker engine, docker-compose 1.29 and debootstrap for the bundle's
# end-to-end test; OpenLDAP's slapd and ldap-utils for the LDAP sign-in tests.
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
[ -x /usr/sbin/slapd ] || apt_packages+=(slapd)
[ -x /usr/bin/ldapmodify ] || apt_packages+=(ldap-utils)
command -v dockerd >/dev/null 2>&1 || apt_packages+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || apt_packages+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || apt_packages+=(debootstrap)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "apt-get install ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    echo "test/run.sh: missing Debian packages: ${apt_packages[*]} (install them, or run as root so this script can)" >&2
    exit 1
  fi
fi

say "npm ci (Node 24 runtime and prebuilt Node-API addons, all from npm)"
npm ci --no-audit --no-fund

say "typecheck"
npm run --silent typecheck

say "lint"
npm run --silent lint

say "format (Prettier; npm run format fixes it)"
npm run --silent format:check

say "build the single binary (dist/onsite)"
npm run --silent build

say "docker engine and base image (for the bundle test)"
. test/docker/engine.sh
trap docker_engine_down EXIT
docker_engine_up

say "test suite"
mkdir -p dist
status=0
# The bundle's end-to-end test drives Docker builds and a whole compose stack:
# it runs on its own after the rest, so neither starves the other of CPU.
BUNDLE_TEST=test/e2e/bundle.e2e.test.ts
npx vitest run --config test/vitest.config.ts --exclude "$BUNDLE_TEST" --reporter=default --reporter=json --outputFile.json=dist/test-results.json || status=$?
say "bundle end-to-end test (Docker)"
npx vitest run --config test/vitest.config.ts "$BUNDLE_TEST" --reporter=default --reporter=json --outputFile.json=dist/test-results-bundle.json || status=$?
node -e '
  let passed = 0, failed = 0, skipped = 0, total = 0;
  for (const f of ["dist/test-results.json", "dist/test-results-bundle.json"]) {
    const r = JSON.parse(require("fs").readFileSync(f, "utf8"));
    if (r.numTotalTests === 0) { console.log(`No tests ran (${f}).`); process.exit(1); }
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests; total += r.numTotalTests;
  }
  console.log(`Tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  // A skipped test is a hidden failure here: every test must run.
  if (skipped > 0) { console.log("Some tests were skipped; failing."); process.exit(1); }
' || status=1
exit "$status"
