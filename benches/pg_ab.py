#!/usr/bin/env python3
"""Two server binaries, A and B, on PostgreSQL, interleaved (A B A B) so a busy machine moves
both alike: ingest at 64 clients through two instances sharing one database (32 clients
each, checked exactly as `make bench` checks), then the summary, by-agent and daily reports
of 1,000 agents with N events seeded (default 10 million) and the database vacuumed and
analyzed (with --reads-only, only the reports).

    python3 benches/pg_ab.py OLD_BINARY NEW_BINARY [EVENTS] [--reads-only]

Build each binary with `cargo build --release --features ssr --bin costline` at its commit
and copy it aside; the load generator is `make bench`'s (target/release/examples/loadgen).
Starts its own PostgreSQL (scripts/pg.sh) in a temporary directory.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

import run


def main():
    ingest = "--reads-only" not in sys.argv
    args = [a for a in sys.argv[1:] if a != "--reads-only"]
    old, new = args[0], args[1]
    events = int(args[2]) if len(args) > 2 else 10_000_000
    tmp = tempfile.mkdtemp(prefix="costline-pg-ab-")
    os.chmod(tmp, 0o755)  # the PostgreSQL server runs as its own user
    make = run.pg_dbs(tmp)
    try:
        rates = {old: [], new: []}
        for binary in (old, new, old, new) if ingest else ():
            run.SERVER = binary
            runs, crossings, sent = run.two_instance_runs(make)
            rates[binary] += [r["events_per_sec"] for r in runs]
            print(f"{binary}: two instances {[round(r['events_per_sec']) for r in runs]} events/s, "
                  f"p99 {[r['p99_ms'] for r in runs]} ms; {sent:,} events, {crossings} alerts, all exact", flush=True)
        if ingest:
            ma, mb = statistics.median(rates[old]), statistics.median(rates[new])
            print(f"two instances: median A {ma:,.0f}/s, B {mb:,.0f}/s, B/A {mb / ma:.2f}")

        db = make()
        run.SERVER = new
        server = run.Server(db)
        company, agents = run.setup(server.base, 1000, 0, lambda i: 0)
        server.stop()
        started = time.time()
        rate = run.seed(db, company, agents, events)
        print(f"seeded {events:,} events at {rate:,.0f}/s in {time.time() - started:.0f} s", flush=True)
        p99 = {old: [], new: []}
        for binary in (old, new, old, new):
            run.SERVER = binary
            server = run.Server(db)
            try:
                reads = run.read_runs(server.base, company, agents, [(events, run.SEED_MONTHS)])
            finally:
                server.stop()
            cells = ", ".join(f"{name} p50 {statistics.median(r['p50_ms'] for r in runs):.2f} / "
                              f"p99 {statistics.median(r['p99_ms'] for r in runs):.2f} ms"
                              for name, runs in reads.items())
            print(f"{binary}: {cells}", flush=True)
            p99[binary] += [r["p99_ms"] for r in reads["by-agent"]]
        print(f"by-agent p99, median of each binary's runs: A {statistics.median(p99[old]):.2f} ms, "
              f"B {statistics.median(p99[new]):.2f} ms")
    finally:
        make.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # 5 GB with 10 million events


if __name__ == "__main__":
    main()
