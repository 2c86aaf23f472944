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
npx next typegen >/dev/null
# Typecheck and lint run from the start to the end in the background, on CPU nobody else wants: in a session of their
# own (a scheduler autogroup) whose nice is 19, so beside the lanes and e2e (tests with time limits) they take what is
# idle and little else (plain nice does not reach across autogroups). Their verdict is read at the end.
# Two lanes side by side on the two cores (one stage after another the suite took 34.5 minutes):
# - A: integration, one file at a time against its own sandbox (port 8790, net 20), waiting on etcd, VMs and timers
#   most of the time (alone the machine was half busy); then, once B's build is there, the stream flood's checks
#   but for its timed add and the insert crash (system files, with a sandbox of their own: port 8783, net 37, the
#   dashboards on 3105 and 3103). The insert crash ran on B, which ended about a minute after A.
# - B: the build (at the lowest CPU priority), unit, netns (nets 75-99, two files at a time),
#   then system (its own sandbox, port 8782, net 36, on the build) but for those of A. Each has its own
#   sandbox, addresses and data dirs, so nothing is shared with A.
# Then, alone on the machine: the stream flood's timed add, which compares an add's time with and without a flood
# of requests on the dashboard (beside lane A's load the two adds ran under different loads: 17 s against 41 s in
# one run), and e2e, which checks what the operator sees within time limits.
# Lane B writes to test-results/lane-b.log, printed when it ends; lane A prints as it goes.
FLOOD=tests/system/stream-flood-add.test.ts
FLOOD_CHECKS=tests/system/stream-flood.test.ts
INSERT_CRASH=tests/system/insert-crash.test.ts
checks() {
  # A session of its own is an autogroup of its own; 19 is its nice (falls back to plain nice where it cannot).
  echo 19 > /proc/self/autogroup 2>/dev/null || renice -n 19 $$ >/dev/null
  local started=$SECONDS failed=0
  npx tsc --noEmit -p tsconfig.check.json > test-results/typecheck.log 2>&1 || failed=1
  echo "typecheck done at ${SECONDS}s" >> test-results/checks.log
  npm run lint > test-results/lint.log 2>&1 || failed=1
  echo "lint done at ${SECONDS}s (started at ${started}s)" >> test-results/checks.log
  return "$failed"
}
rm -f test-results/checks.log
# The route types as typegen wrote them, where the build does not touch them (tsconfig.check.json).
rm -rf .typecheck && mkdir .typecheck && cp -r .next/types .typecheck/types
printf '%s\n' '/// <reference types="next" />' '/// <reference types="next/image-types/global" />' \
  'import "./types/routes.d.ts";' 'import "./types/root-params.d.ts";' > .typecheck/env.d.ts
echo; echo "typecheck and lint start in the background at idle priority: test-results/typecheck.log, lint.log"
setsid -w bash -c "$(declare -f checks); SECONDS=$SECONDS; checks" & checks_pid=$!
lane_b() {
  set -e
  echo "(next build runs in the background at nice 19: test-results/build.log)"
  nice -n 19 npm run build > test-results/build.log 2>&1 & build=$!
  trap 'kill "$build" 2>/dev/null || true' EXIT
  step "unit";   npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
  step "netns";  npx vitest run --project netns --reporter=default --reporter=json --outputFile.json=test-results/netns.json
  step "build (started at the beginning of lane B)"
  if ! wait "$build"; then cat test-results/build.log; echo "the build failed"; exit 1; fi
  tail -n 25 test-results/build.log
  touch test-results/build.ok
  step "system (but for the stream flood and the insert crash)"
  npx vitest run --project system --exclude "$FLOOD" --exclude "$FLOOD_CHECKS" --exclude "$INSERT_CRASH" --reporter=default --reporter=json --outputFile.json=test-results/system.json
  echo "lane B ended at ${SECONDS}s"
}
echo; echo "lane B (build, unit, netns, system) starts beside integration: test-results/lane-b.log"
( lane_b ) > test-results/lane-b.log 2>&1 & lane=$!
trap 'kill -- "$lane" 2>/dev/null || true; kill -- -"$checks_pid" 2>/dev/null || true' EXIT
rm -f test-results/build.ok
step "integration (lane A)"
integration=0
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json || integration=1
step "system: the stream flood's checks but for its timed add, and the insert crash (lane A, on lane B's build)"
while [ ! -e test-results/build.ok ] && kill -0 "$lane" 2>/dev/null; do sleep 2; done
flood_checks=0
if [ -e test-results/build.ok ]; then
  QUORUM_SYS_SANDBOX_PORT=8783 QUORUM_SYS_SANDBOX_NET=37 QUORUM_SYS_FLOOD_APP_PORT=3105 \
    npx vitest run --project system "$FLOOD_CHECKS" "$INSERT_CRASH" --reporter=default --reporter=json \
    --outputFile.json=test-results/system-flood-checks.json || flood_checks=1
else
  echo "not run: lane B ended before its build"; flood_checks=1
fi
echo "lane A ended at ${SECONDS}s"
b=0
wait "$lane" || b=1
trap 'kill -- -"$checks_pid" 2>/dev/null || true' EXIT
echo; echo "==== lane B's output (test-results/lane-b.log)"; cat test-results/lane-b.log
[ "$integration" = 0 ] || { echo "integration failed"; exit 1; }
[ "$flood_checks" = 0 ] || { echo "the stream flood's checks or the insert crash failed"; exit 1; }
[ "$b" = 0 ] || { echo "lane B (unit, netns, build or system) failed"; exit 1; }
step "system: the stream flood's timed add, alone"
npx vitest run --project system "$FLOOD" --reporter=default --reporter=json --outputFile.json=test-results/system-flood.json
step "e2e";         CI=1 npx playwright test
step "typecheck and lint (in the background since the start)"
checks_ok=0
wait "$checks_pid" || checks_ok=1
trap - EXIT
cat test-results/checks.log
echo "-- typecheck"; cat test-results/typecheck.log
echo "-- lint"; cat test-results/lint.log
[ "$checks_ok" = 0 ] || { echo "typecheck or lint failed"; exit 1; }
echo; echo "test.sh took ${SECONDS}s"
node scripts/summarize-tests.mjs
