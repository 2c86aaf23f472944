#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, start the sandbox cloud (Compute endpoint on
# http://127.0.0.1:${SANDBOX_PORT:-8780}) and the dashboard on http://127.0.0.1:3000. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/install-deps.sh
npm run build

export QUORUM_DATA_DIR="${QUORUM_DATA_DIR:-$PWD/.quorum}"
export SANDBOX_PORT="${SANDBOX_PORT:-8780}"
mkdir -p "$QUORUM_DATA_DIR"
echo "Starting the sandbox cloud on http://127.0.0.1:$SANDBOX_PORT (state in $QUORUM_DATA_DIR, log in $QUORUM_DATA_DIR/sandbox.log)"
node node_modules/tsx/dist/cli.mjs sandbox/main.ts >>"$QUORUM_DATA_DIR/sandbox.log" 2>&1 &
sandbox_pid=$!
dashboard_pid=""
# Both run in the background and the script waits on them, so a SIGTERM to the script alone runs this trap
# at once (bash defers traps while a foreground child runs) and stops both; a signal to the group does too.
stop_all() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "$dashboard_pid" ]] && kill -TERM "$dashboard_pid" 2>/dev/null
  kill -TERM "$sandbox_pid" 2>/dev/null
  wait 2>/dev/null
  exit "$rc"
}
trap stop_all EXIT INT TERM

for _ in $(seq 1 360); do
  if curl -fsS "http://127.0.0.1:$SANDBOX_PORT/sandbox/v1/health" 2>/dev/null | grep -q '"seeded":true'; then break; fi
  kill -0 $sandbox_pid 2>/dev/null || { echo "The sandbox exited; see $QUORUM_DATA_DIR/sandbox.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$SANDBOX_PORT/sandbox/v1/health" | grep -q '"seeded":true' || { echo "The sandbox did not finish seeding; see $QUORUM_DATA_DIR/sandbox.log" >&2; exit 1; }
echo "Sandbox ready. Dashboard: http://127.0.0.1:3000"
# next's own entry point, not `npx next`: a killed npx would leave next-server running.
QUORUM_PROVIDER=sandbox node node_modules/next/dist/bin/next start -H 127.0.0.1 -p 3000 &
dashboard_pid=$!
# Either one ending ends the quick start (and the trap stops the other).
wait -n "$sandbox_pid" "$dashboard_pid" || true
echo "The sandbox or the dashboard stopped; stopping the other." >&2

