#!/usr/bin/env bash
# Schemathesis against fresh release servers, through the OpenAPI document they serve:
# first the document is validated as OpenAPI 3.1 (openapi-spec-validator), then every
# operation is fuzzed with the checks for server errors, undocumented status codes and
# answers that do not match their schema, in local mode and in authenticated mode (with a
# board token made by `costline board create-token`). Any finding fails the run.
#
# Bounded so CI stays fast: FUZZ_EXAMPLES examples per operation (default 10), one worker,
# FUZZ_MAX_TIME seconds per mode (default 180), a fixed seed (FUZZ_SEED) so a finding
# reproduces. The fuzzer invents webhook URLs: the servers may deliver to loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${FUZZ_BIN:-${CARGO_TARGET_DIR:-target}/release/costline}
venv=$PWD/.tools/venv
examples=${FUZZ_EXAMPLES:-10}
max_time=${FUZZ_MAX_TIME:-180}
seed=${FUZZ_SEED:-20261129}
port=${FUZZ_PORT:-3110}
auth_port=${FUZZ_AUTH_PORT:-3111}
[ -x "$bin" ] || { echo "$bin is missing: run 'make build' first" >&2; exit 1; }
[ -x "$venv/bin/schemathesis" ] || { echo "run scripts/ensure-tools.sh test first" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Loopback only, whatever the default becomes.
export COSTLINE_WEBHOOK_ALLOW_HOSTS=127.0.0.1,localhost,::1
export COSTLINE_LOG=${FUZZ_LOG:-warn}

start() { # name port -> starts the server on a fresh database named name
  DATABASE_URL="sqlite:$work/$1.db" COSTLINE_BIND="127.0.0.1:$2" \
    "$bin" >"$work/$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$2/readyz" >/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server on port $2 did not become ready" >&2; cat "$work/$1.log" >&2; exit 1
}

fuzz() { # name port [schemathesis args...]
  local name=$1 port=$2
  shift 2
  echo "==> schemathesis ($name mode, $examples examples per operation)" >&2
  # From the scratch folder: the fuzzer leaves its example database and reports there.
  (cd "$work" && "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$examples" --max-time "$max_time" --workers 1 --seed "$seed" \
    --request-timeout 10 --no-color --warnings off "$@") ||
    { echo "--- server log ($name mode)" >&2; tail -40 "$work/$name.log" >&2; return 1; }
}

start local "$port"
curl -fs "http://127.0.0.1:$port/api/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"
grep -q '"openapi": "3.1.0"' "$work/openapi.json" || { echo "not OpenAPI 3.1" >&2; exit 1; }
fuzz local "$port"

DATABASE_URL="sqlite:$work/auth.db" "$bin" board create-token --name fuzz \
  >"$work/token" 2>"$work/board.log" || { cat "$work/board.log" >&2; exit 1; }
start auth "$auth_port"
fuzz auth "$auth_port" -H "Authorization: Bearer $(cat "$work/token")"
