#!/usr/bin/env bash
# The adapter examples of docs/adapters/ (Python and TypeScript) against a real server.
#
# Starts the release binary on a fresh SQLite file on a free port, once in local mode and
# once in authenticated mode (a board token from `costline board create-token`, an agent
# key from the API). For each example and mode: a company and an agent with a small budget,
# the example run through docs/adapters/testing/flaky_proxy.py (which loses the answer to
# one event after storing it, and answers 503 to another), then checks over the API that
# exactly the events the example reported are stored (ids, count, sum), that it stopped at
# the event that crossed the budget, that the agent is paused for budget, and that a second
# run of the example reports nothing. Also: a bad key and missing settings exit non-zero.
#
#   scripts/test-adapters.sh                          # after `make build`
#   COSTLINE_BIN=target/debug/costline scripts/test-adapters.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${COSTLINE_BIN:-${CARGO_TARGET_DIR:-target}/release/costline}
esbuild=end2end/node_modules/.bin/esbuild
# The agent's budget: several heartbeats of about 9 cents each, then a hard stop.
budget_cents=60
[ -x "$bin" ] || { echo "$bin is missing: run 'make build' first (or set COSTLINE_BIN)" >&2; exit 1; }
[ -x "$esbuild" ] || { echo "$esbuild is missing: run 'make test-tools'" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -20 "$log" >&2; }
  done
  exit 1
}

# The TypeScript example, bundled once for Node.
"$esbuild" docs/adapters/typescript/example.ts --bundle --platform=node --target=node20 \
  --format=esm --log-level=warning --outfile="$work/example.mjs"
run_example() { # language, then VAR=value settings
  local language=$1
  shift
  case $language in
    python) env "$@" python3 docs/adapters/python/example.py ;;
    typescript) env "$@" node "$work/example.mjs" ;;
  esac
}

# start_server NAME: a server on a fresh database and a free port; sets $url.
start_server() {
  local name=$1 log="$work/$1.log"
  DATABASE_URL="sqlite:$work/$name.db" COSTLINE_BIND=127.0.0.1:0 COSTLINE_LOG=info \
    "$bin" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 150); do
    url=$(grep -o 'Costline is running at http://[0-9.:]*' "$log" | grep -o 'http://.*' || true)
    [ -n "$url" ] && curl -fs "$url/readyz" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "the $name server exited"
    sleep 0.1
  done
  fail "the $name server did not become ready"
}

# api METHOD PATH [BODY]: the JSON answer on stdout; fails unless 2xx. Uses $token if set.
api() {
  local args=(-sS -X "$1" "$url/api$2" -w '\n%{http_code}')
  [ -n "${3:-}" ] && args+=(-H 'content-type: application/json' -d "$3")
  [ -n "${token:-}" ] && args+=(-H "authorization: Bearer $token")
  local out code
  out=$(curl "${args[@]}")
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2* ]] || fail "$1 $2 answered $code: $out"
  printf '%s\n' "$out"
}
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# check_case LANGUAGE MODE: one example, through the faulty proxy, against one new agent.
check_case() {
  local language=$1 mode=$2 company agent key="" proxy proxy_pid report status
  company=$(api POST /companies "{\"name\":\"$language $mode\",\"budgetMonthlyCents\":100000}" | field id)
  agent=$(api POST "/companies/$company/agents" \
    "{\"name\":\"$language adapter\",\"budgetMonthlyCents\":$budget_cents}" | field id)
  [ "$mode" = authenticated ] && key=$(api POST "/agents/$agent/keys" | field key)

  # POSTs 2 and 4: the second event is stored but its answer lost; the third refused once.
  rm -f "$work/proxy.port"
  python3 docs/adapters/testing/flaky_proxy.py --upstream "$url" --port-file "$work/proxy.port" \
    --drop 2 --unavailable 4 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  for _ in $(seq 1 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
  [ -s "$work/proxy.port" ] || fail "the test proxy did not start"
  proxy="http://127.0.0.1:$(cat "$work/proxy.port")"

  status=0
  report=$(run_example "$language" COSTLINE_URL="$proxy" COSTLINE_COMPANY_ID="$company" \
    COSTLINE_AGENT_ID="$agent" COSTLINE_API_KEY="$key" COSTLINE_HEARTBEATS=30 \
    2>"$work/example.err") || status=$?
  [ "$status" -eq 0 ] || { cat "$work/example.err" >&2; fail "$language ($mode) exited $status"; }
  local faults events agent_now
  faults=$(curl -fsS "$proxy/__proxy/faults")
  kill "$proxy_pid" && wait "$proxy_pid" 2>/dev/null || true
  events=$(api GET "/companies/$company/cost-events?agentId=$agent&limit=1000")
  agent_now=$(api GET "/agents/$agent")
  python3 - "$report" "$events" "$agent_now" "$faults" "$budget_cents" <<'PY' ||
import json, sys
report, page, agent, faults = (json.loads(a) for a in sys.argv[1:5])
budget = int(sys.argv[5]) * 1_000_000  # micro-cents
stored = page["items"]  # newest first
costs = [e["costMicroCents"] for e in stored]
problems = []
def expect(what, got, wanted):
    if got != wanted:
        problems.append(f"{what}: {got!r}, expected {wanted!r}")
expect("next page", page["nextCursor"], None)
expect("stored ids", sorted(e["id"] for e in stored), sorted(report["eventIds"]))
expect("stored events", len(stored), report["heartbeats"])
expect("stored sum (micro-cents)", sum(costs), report["costMicroCents"])
expect("cost sources", {e["costSource"] for e in stored}, {"computed"})
expect("why it stopped", report["stopped"], "hard_stop")
# It stopped at the event that crossed the budget: not before, not after.
expect("under budget before the last event", sum(costs) - costs[0] < budget, True)
expect("at or over budget after it", sum(costs) >= budget, True)
expect("agent status", (agent["status"], agent["pauseReason"]), ("paused", "budget"))
expect("agent's spend (cents)", agent["spentMonthlyCents"], (sum(costs) + 500_000) // 1_000_000)
# The faults happened, and the retries stored each event once.
expect("faults injected", (faults["dropped"], faults["unavailable"]), (1, 1))
expect("answers replayed after a lost answer", report["replayed"], 1)
expect("retries at least", report["retries"] >= 2, True)
for p in problems:
    print(f"  {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    { cat "$work/example.err" >&2; fail "$language ($mode): the stored events do not match the report"; }

  # The agent is paused: run again, straight to the server. It must not report anything.
  report=$(run_example "$language" COSTLINE_URL="$url" COSTLINE_COMPANY_ID="$company" \
    COSTLINE_AGENT_ID="$agent" COSTLINE_API_KEY="$key" 2>"$work/example.err") ||
    { cat "$work/example.err" >&2; fail "$language ($mode): the second run exited non-zero"; }
  local again
  again=$(api GET "/companies/$company/cost-events?agentId=$agent&limit=1000")
  python3 - "$report" "$events" "$again" <<'PY' ||
import json, sys
report, before, after = (json.loads(a) for a in sys.argv[1:4])
ok = (report["stopped"], report["heartbeats"]) == ("paused", 0) and before == after
sys.exit(0 if ok else 1)
PY
    fail "$language ($mode): a paused agent ran again: $report"
  echo "ok: $language adapter, $mode mode: $(echo "$events" | python3 -c \
    'import json, sys; print(len(json.load(sys.stdin)["items"]))') events stored once each, stopped at the budget"
}

# Settings missing or wrong: exit 2 and 1, not 0.
check_refusals() { # language key
  local status=0
  run_example "$1" COSTLINE_URL= >/dev/null 2>&1 || status=$?
  [ "$status" -eq 2 ] || fail "$1 without settings exited $status, expected 2"
  status=0
  run_example "$1" COSTLINE_URL="$url" COSTLINE_COMPANY_ID=x COSTLINE_AGENT_ID=y \
    COSTLINE_API_KEY="$2" >/dev/null 2>&1 || status=$?
  [ "$status" -eq 1 ] || fail "$1 with a bad key exited $status, expected 1"
}

start_server local
token=""
for language in python typescript; do check_case "$language" local; done

# Authenticated mode: the board token exists before the server starts.
DATABASE_URL="sqlite:$work/auth.db" "$bin" board create-token --name adapters \
  >"$work/token" 2>"$work/board.log" || fail "costline board create-token failed"
start_server auth
grep -q 'auth: authenticated' "$work/auth.log" || fail "the second server is not in authenticated mode"
token=$(cat "$work/token")
for language in python typescript; do
  check_case "$language" authenticated
  check_refusals "$language" "cla_000000000000_$(printf '0%.0s' $(seq 64))"
done
echo "adapters: all checks passed"
