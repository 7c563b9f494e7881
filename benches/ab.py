#!/usr/bin/env python3
"""Two server binaries, A and B, on the same ingest load, interleaved (A B A B ...) so a
busy or slow machine moves both alike: SQLite, 100 agents with budgets, 64 clients, one
event per request, as in `make bench`. Prints each run and the medians.

    python3 benches/ab.py OLD_BINARY NEW_BINARY [ROUNDS]

Build each binary with `cargo build --release --features ssr --bin costline` at its commit
and copy it aside; the load generator is `make bench`'s (target/release/examples/loadgen).
Set PROFILE=1 to add the commit batches' sizes and durations from /metrics.
"""

import os
import urllib.request

import run


def one(binary):
    with run.ingest_target(binary, "costline-ab-") as (server, args):
        run.loadgen("ingest", *args, "--clients", 64, "--requests", 5000)  # warm up
        r = run.loadgen("ingest", *args, "--clients", 64, "--requests", 30000)
        if r["errors"] or r["events"] != 30000:
            raise SystemExit(f"{binary}: {r['errors']} failed answers")
        if os.environ.get("PROFILE") == "1":
            metrics = urllib.request.urlopen(server.base + "/metrics").read().decode()
            sums = {l.split()[0]: float(l.split()[1]) for l in metrics.splitlines()
                    if l.startswith("costline_commit_") and ("_sum" in l or "_count" in l)}
            n = sums["costline_commit_batch_events_count"]
            r["batch_events"] = sums["costline_commit_batch_events_sum"] / n
            r["commit_ms"] = 1000 * sums["costline_commit_duration_seconds_sum"] / n
        return r


def main():
    def show(r):
        extra = f" batch {r['batch_events']:.0f} events, commit {r['commit_ms']:.1f} ms" if "commit_ms" in r else ""
        return f"{r['events_per_sec']:,.0f} events/s p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms{extra}"

    results = run.interleaved(one, show)
    run.median_ratio("", results, lambda r: r["events_per_sec"])


if __name__ == "__main__":
    main()
