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
# Two lanes side by side on the two cores (the suite must stay under 30 minutes on a fresh clone):
# - A: integration, one file at a time against its own sandbox (port 8790, net 20). It waits on etcd, VMs and
#   timers most of the time (a core was idle half of its 10 minutes when it ran alone).
# - B: the build (at the lowest CPU priority), unit, netns (nets 75-99), then system (its own sandbox, port 8782,
#   net 36, on the build). Each has its own sandbox, addresses and data dirs, so nothing is shared with A.
# e2e runs alone after both, on the whole machine: it checks what the operator sees in time limits.
# Lane B writes to test-results/lane-b.log, printed when it ends; lane A prints as it goes.
lane_b() {
  set -e
  echo "(next build runs in the background at nice 19: test-results/build.log)"
  nice -n 19 npm run build > test-results/build.log 2>&1 & build=$!
  trap 'kill "$build" 2>/dev/null || true' EXIT
  step "unit";   npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
  step "netns";  npx vitest run --project netns --reporter=default --reporter=json --outputFile.json=test-results/netns.json
  step "build (started at the head of lane B)"
  if ! wait "$build"; then cat test-results/build.log; echo "the build failed"; exit 1; fi
  tail -n 25 test-results/build.log
  step "system"; npx vitest run --project system --reporter=default --reporter=json --outputFile.json=test-results/system.json
  echo "lane B ended at ${SECONDS}s"
}
echo; echo "lane B (build, unit, netns, system) starts beside integration: test-results/lane-b.log"
( lane_b ) > test-results/lane-b.log 2>&1 & lane=$!
trap 'kill -- "$lane" 2>/dev/null || true' EXIT
step "integration (lane A)"
integration=0
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json || integration=1
echo "lane A ended at ${SECONDS}s"
b=0
wait "$lane" || b=1
trap - EXIT
echo; echo "==== lane B's output (test-results/lane-b.log)"; cat test-results/lane-b.log
[ "$integration" = 0 ] || { echo "integration failed"; exit 1; }
[ "$b" = 0 ] || { echo "lane B (unit, netns, build or system) failed"; exit 1; }
step "e2e";         CI=1 npx playwright test
echo; echo "test.sh took ${SECONDS}s"
node scripts/summarize-tests.mjs
