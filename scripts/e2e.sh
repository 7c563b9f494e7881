#!/usr/bin/env bash
# Browser tests: starts two release servers, each on a fresh SQLite file, waits until they
# are ready, runs Playwright (Debian's Chromium) against them, and stops them.
#  - local_trusted mode (loopback, no board credential): the dashboard tests;
#  - authenticated mode (a board user and token made first with `costline board ...`):
#    the sign-in tests (end2end/tests/auth.spec.ts), given its URL and credentials.
# Both servers' clocks start at a fixed mid-month instant (COSTLINE_CLOCK_START), which the
# tests get as COSTLINE_E2E_NOW: they pass on any date, whatever the machine's clock says.
# Extra arguments go to Playwright, e.g. `scripts/e2e.sh -g hydrates`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CARGO_TARGET_DIR:-target}/release/costline
port=${E2E_PORT:-3100}
auth_port=${E2E_AUTH_PORT:-3101}
work=$(mktemp -d)
now=${E2E_CLOCK_START:-2026-11-15T12:00:00Z}
export COSTLINE_CLOCK_START=$now
[ -x "$bin" ] || { echo "$bin is missing: run 'make build' first" >&2; exit 1; }

DATABASE_URL="sqlite:$work/e2e.db" COSTLINE_BIND="127.0.0.1:$port" COSTLINE_LOG=info \
  "$bin" >"$work/server.log" 2>&1 &
server=$!

# The authenticated server: its board user and token exist before it starts.
auth_db="sqlite:$work/e2e-auth.db"
auth_email=board@e2e.example
auth_password="e2e password $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
DATABASE_URL="$auth_db" COSTLINE_BOARD_PASSWORD="$auth_password" \
  "$bin" board create-user --email "$auth_email" 2>"$work/board.log" || { cat "$work/board.log" >&2; exit 1; }
auth_token=$(DATABASE_URL="$auth_db" "$bin" board create-token --name e2e 2>>"$work/board.log") ||
  { cat "$work/board.log" >&2; exit 1; }
DATABASE_URL="$auth_db" COSTLINE_BIND="127.0.0.1:$auth_port" COSTLINE_LOG=info \
  "$bin" >"$work/auth-server.log" 2>&1 &
auth_server=$!

cleanup() {
  kill "$server" "$auth_server" 2>/dev/null || true
  wait "$server" "$auth_server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_ready() { # pid port log
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$2/readyz" >/dev/null && return 0
    kill -0 "$1" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server on port $2 did not become ready" >&2; cat "$3" >&2; exit 1
}
wait_ready "$server" "$port" "$work/server.log"
wait_ready "$auth_server" "$auth_port" "$work/auth-server.log"

status=0
results=$work/playwright.out
(cd end2end && COSTLINE_E2E_URL="http://127.0.0.1:$port" COSTLINE_E2E_NOW="$now" \
  COSTLINE_E2E_AUTH_URL="http://127.0.0.1:$auth_port" \
  COSTLINE_E2E_AUTH_EMAIL="$auth_email" COSTLINE_E2E_AUTH_PASSWORD="$auth_password" \
  COSTLINE_E2E_AUTH_TOKEN="$auth_token" \
  npx playwright test "$@") 2>&1 | tee "$results" || status=$?
if [ "$status" -ne 0 ]; then
  # Whole, next to Playwright's own results (the work directory goes on exit): a failure
  # that does not repeat can still be read afterwards.
  mkdir -p end2end/test-results
  cp "$work/server.log" end2end/test-results/server.log
  cp "$work/auth-server.log" end2end/test-results/auth-server.log
  echo "--- the servers' whole logs: end2end/test-results/server.log, auth-server.log" >&2
  echo "--- last lines of the server log (local mode)" >&2
  tail -40 "$work/server.log" >&2
  echo "--- last lines of the server log (authenticated mode)" >&2
  tail -40 "$work/auth-server.log" >&2
  # Last, so that a log that keeps only the tail (CI's) still names what failed and why.
  echo "--- Playwright's failures, again" >&2
  awk '/^  1\) /{on=1} /^ *[0-9]+ failed$/{exit} on' "$results" | head -80 >&2
  sed -n '/^ *[0-9]* failed$/,$p' "$results" >&2
fi
if grep -q '^ *[0-9]* flaky$' "$results"; then
  echo "--- passed only when tried again (flaky): look into these" >&2
  sed -n '/^ *[0-9]* flaky$/,/^ *[0-9]* passed/p' "$results" >&2
fi
exit "$status"
