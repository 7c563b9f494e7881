#!/usr/bin/env python3
"""Two server binaries, A and B, on SQLite, interleaved (A B A B ...): the batch route (2
clients, 1,000 events a request, 30 requests, after 10 to warm up), then single-event
ingest at 64 clients (30,000 events), on a fresh database per run with 100 budgeted agents.
Prints each run and the medians.

    python3 benches/batch_ab.py OLD_BINARY NEW_BINARY [ROUNDS]

Build each binary with `cargo build --release --features ssr --bin costline` at its commit
and copy it aside; the load generator is `make bench`'s (target/release/examples/loadgen).
"""

import run


def one(binary):
    with run.ingest_target(binary, "costline-batch-ab-") as (_, args):
        run.loadgen("batch", *args, "--clients", 2, "--requests", 10, "--size", 1000)
        batch = run.loadgen("batch", *args, "--clients", 2, "--requests", 30, "--size", 1000)
        ingest = run.loadgen("ingest", *args, "--clients", 64, "--requests", 30000)
        if batch["errors"] or ingest["errors"]:
            raise SystemExit(f"{binary}: failed answers")
        return batch["events_per_sec"], ingest["events_per_sec"]


def main():
    results = run.interleaved(
        one, lambda r: f"batch route {r[0]:,.0f} events/s, ingest {r[1]:,.0f} events/s")
    run.median_ratio("batch route: ", results, lambda r: r[0])
    run.median_ratio("ingest: ", results, lambda r: r[1])


if __name__ == "__main__":
    main()
