#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, bound to 127.0.0.1.
#
#   scripts/pg.sh start [dir] [port]   # initdb (if needed) and start; prints the admin URL
#   scripts/pg.sh stop  [dir]
#
# Runs as the `postgres` system user when started as root (PostgreSQL refuses root).
set -euo pipefail

cmd=${1:?start or stop}
dir=${2:-/tmp/costline-pg}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-h 127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=300" start >/dev/null
  fi
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start|stop [dir] [port]" >&2
  exit 2
  ;;
esac
