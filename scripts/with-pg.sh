#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: started on 127.0.0.1 in a fresh data
# directory, its admin URL in COSTLINE_TEST_POSTGRES, stopped and deleted afterwards.
#   scripts/with-pg.sh cargo test --features ssr --test api
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/costline-pg.XXXXXX)
port=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
cleanup() {
  local status=$?
  # A failed run shows what the server refused or aborted, before its files go.
  if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
    grep -E "ERROR|FATAL|PANIC|deadlock" "$dir/server.log" | tail -40 >&2 || true
  fi
  "$here/pg.sh" stop "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
COSTLINE_TEST_POSTGRES=$("$here/pg.sh" start "$dir" "$port")
export COSTLINE_TEST_POSTGRES
echo "PostgreSQL at ${COSTLINE_TEST_POSTGRES}" >&2
"$@"
