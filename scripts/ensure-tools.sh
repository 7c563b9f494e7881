#!/usr/bin/env bash
# Installs what building and testing Costline needs, when it is missing. Idempotent: a
# second run finds everything and returns in seconds.
#
#   scripts/ensure-tools.sh build   # Rust wasm target, cargo-leptos, wasm-bindgen, npm tools
#   scripts/ensure-tools.sh test    # the above, plus Chromium and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-build}
CARGO_LEPTOS_VERSION=0.3.10
SCHEMATHESIS_VERSION=4.32.5
SPEC_VALIDATOR_VERSION=0.9.0
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# Rust: the wasm target for the browser bundle.
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos: 0.3.10 is the newest that builds on rustc 1.95 (0.3.11 needs 1.96).
if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "cargo install cargo-leptos ${CARGO_LEPTOS_VERSION} (about 13 minutes, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# wasm-bindgen CLI: exactly the version in Cargo.lock, or the bundle will not load.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${bindgen_version}\$"; then
  say "cargo install wasm-bindgen-cli ${bindgen_version}"
  # Not --locked: one of its locked dependencies is no longer on the registry.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# npm: wasm-opt (binaryen; Debian's is too old and silently breaks the release bundle),
# ECharts for the charts, Redoc for /api/docs, Playwright and axe for the browser tests,
# Lighthouse for the bench.
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -x end2end/node_modules/.bin/lighthouse ] || [ end2end/package.json -nt end2end/node_modules/.package-lock.json ]; then
  say "npm install (end2end/)"
  (cd end2end && npm install --no-audit --no-fund --loglevel=error)
fi
scripts/vendor-echarts.sh
scripts/vendor-redoc.sh

if [ "$want" = test ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium
  command -v initdb >/dev/null || [ -d /usr/lib/postgresql ] || apt_install postgresql
  # The API fuzzer and the OpenAPI validator, from PyPI, in a venv of their own.
  # (Read whole, not piped into grep -q: with pipefail, an early grep exit fails the pipe.)
  installed=$(.tools/venv/bin/schemathesis --version 2>/dev/null || true)
  validator=$(.tools/venv/bin/pip show openapi-spec-validator 2>/dev/null || true)
  if [[ $installed != *" $SCHEMATHESIS_VERSION" || $validator != *"Version: $SPEC_VALIDATOR_VERSION"* ]]; then
    python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "pip install schemathesis ${SCHEMATHESIS_VERSION} (.tools/venv)"
    python3 -m venv .tools/venv
    .tools/venv/bin/pip install --quiet --disable-pip-version-check \
      "schemathesis==${SCHEMATHESIS_VERSION}" "openapi-spec-validator==${SPEC_VALIDATOR_VERSION}"
  fi
fi
