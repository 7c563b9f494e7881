#!/usr/bin/env bash
# Browser tests: starts the release server on a fresh SQLite file, waits until it is ready,
# runs Playwright (Debian's Chromium) against it, and stops it. Extra arguments go to
# Playwright, e.g. `scripts/e2e.sh -g hydrates`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CARGO_TARGET_DIR:-target}/release/costline
port=${E2E_PORT:-3100}
work=$(mktemp -d)
[ -x "$bin" ] || { echo "$bin is missing: run 'make build' first" >&2; exit 1; }

DATABASE_URL="sqlite:$work/e2e.db" COSTLINE_BIND="127.0.0.1:$port" COSTLINE_LOG=info \
  "$bin" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done

status=0
(cd end2end && COSTLINE_E2E_URL="http://127.0.0.1:$port" npx playwright test "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- last lines of the server log" >&2
  tail -40 "$work/server.log" >&2
fi
exit "$status"
