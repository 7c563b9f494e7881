#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: started on 127.0.0.1 in a fresh data
# directory, its admin URL in COSTLINE_TEST_POSTGRES, stopped and deleted afterwards. The
# run fails if PostgreSQL detected a deadlock, even when the command passed.
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
  # Every writer takes its locks in one order, and partition upkeep gives way: a deadlock
  # anywhere in the run is a bug, even one whose victim was retried, so it fails the run.
  # A test that makes one on purpose marks its statements with "costline-test: deliberate
  # deadlock", which PostgreSQL's report of the deadlock quotes (tests/api/postgres/busy.rs).
  local deadlocks=0
  if [ -f "$dir/server.log" ]; then
    deadlocks=$(awk '
      /deadlock detected/ { if (open && !marked) n++; open = 1; marked = 0; next }
      /^[0-9]{4}-[0-9]{2}-[0-9]{2} / && !/DETAIL:|HINT:|STATEMENT:|CONTEXT:/ { if (open && !marked) n++; open = 0 }
      open && /costline-test: deliberate deadlock/ { marked = 1 }
      END { if (open && !marked) n++; print n + 0 }' "$dir/server.log")
  fi
  if [ "$deadlocks" -gt 0 ]; then
    echo "PostgreSQL detected $deadlocks deadlock(s):" >&2
    grep -A3 'deadlock detected' "$dir/server.log" | head -40 >&2 || true
  fi
  "$here/pg.sh" stop "$dir"
  rm -rf "$dir"
  if [ "$status" -eq 0 ] && [ "$deadlocks" -gt 0 ]; then
    exit 1
  fi
}
trap cleanup EXIT
COSTLINE_TEST_POSTGRES=$("$here/pg.sh" start "$dir" "$port")
export COSTLINE_TEST_POSTGRES
echo "PostgreSQL at ${COSTLINE_TEST_POSTGRES}" >&2
"$@"
