#!/usr/bin/env bash
# Quick start, command 2: install what the tests need (etcd, etcdctl, chromium, npm packages) and run
# every test: typecheck, lint, unit, netns (the twin's network namespaces, as root), integration (real sandbox +
# etcd), system (the built dashboard process,
# killed and restarted), e2e (Playwright in Debian's chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/install-deps.sh --with-browser
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
mkdir -p test-results

# Each step says when it starts, in seconds since the script began (the whole suite must stay under 30 minutes).
step() { echo; echo "== $1 (at ${SECONDS}s)"; }
# typecheck and lint are single-threaded: side by side on the two cores, each printing when it is done.
step "typecheck and lint"
npx next typegen >/dev/null
npm run typecheck > test-results/typecheck.log 2>&1 & typecheck=$!
npm run lint > test-results/lint.log 2>&1 & lint=$!
failed=0
wait "$typecheck" || failed=1
echo "-- typecheck"; cat test-results/typecheck.log
wait "$lint" || failed=1
echo "-- lint"; cat test-results/lint.log
[ "$failed" = 0 ] || { echo "typecheck or lint failed"; exit 1; }
# The build (for system and e2e) needs no test, and the netns and integration stages spend most of their time
# waiting on etcd, VMs and timers: it runs beside them at the lowest CPU priority, so their processes come first.
echo "(next build runs in the background at nice 19 from here on: test-results/build.log)"
nice -n 19 npm run build > test-results/build.log 2>&1 & build=$!
# A failed stage ends the script: the build must not outlive it.
trap 'kill "$build" 2>/dev/null || true' EXIT
step "unit";        npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
step "netns";       npx vitest run --project netns --reporter=default --reporter=json --outputFile.json=test-results/netns.json
step "integration"; npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json
step "build (started in the background before unit)"
if ! wait "$build"; then cat test-results/build.log; echo "the build failed"; exit 1; fi
tail -n 25 test-results/build.log
step "system";      npx vitest run --project system --reporter=default --reporter=json --outputFile.json=test-results/system.json
step "e2e";         CI=1 npx playwright test
echo; echo "test.sh took ${SECONDS}s"
node scripts/summarize-tests.mjs
