# Costline: the README's commands. `make run` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# npm-installed tools (wasm-opt from binaryen, playwright) come first on PATH.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run build tools test-tools test lint unit e2e fuzz adapters bench fmt clean

## run: build the release binary and dashboard, then serve on http://127.0.0.1:3000
run: build
	$(TARGET_DIR)/release/costline

## build: release server binary + optimised WASM dashboard (target/site), its files
## precompressed (brotli, gzip) for the server to send as they are
build: tools
	cargo leptos build --release --split
	node scripts/precompress.js target/site

tools:
	@scripts/ensure-tools.sh build

test-tools:
	@scripts/ensure-tools.sh test

## test: formatting, clippy (ssr and hydrate), unit and integration tests, browser tests,
## the API fuzzer, adapter examples
test: test-tools
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) build
	$(MAKE) e2e
	$(MAKE) fuzz
	$(MAKE) adapters

lint:
	cargo fmt --all -- --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

## unit: unit tests, and the integration suite twice: on SQLite, then on a real PostgreSQL
## with the PostgreSQL-only tests (ignored, so reported as such, in the SQLite pass)
unit:
	cargo test --features ssr
	scripts/with-pg.sh cargo test --features ssr --test api -- --include-ignored

e2e:
	scripts/e2e.sh

## fuzz: the OpenAPI document validated, then Schemathesis on every operation against
## release servers in local and authenticated mode (after build)
fuzz:
	scripts/fuzz.sh

## adapters: the Python and TypeScript adapter examples (docs/adapters/) against a release
## server, in local and authenticated mode (after build)
adapters:
	scripts/test-adapters.sh

## bench: release server and load generator on fresh databases; writes BENCHMARKS.md
bench: test-tools build
	cargo build --release --example loadgen --features ssr
	python3 benches/run.py

fmt:
	cargo fmt --all

clean:
	cargo clean
