#!/usr/bin/env python3
"""Two server binaries, A and B, on PostgreSQL, interleaved (A B A B) so a busy machine moves
both alike: ingest at 64 clients through two instances sharing one database (32 clients
each, checked exactly as `make bench` checks), then the summary, by-agent and daily reports
of 1,000 agents with N events seeded (default 10 million) and the database analyzed.

    python3 benches/pg_ab.py OLD_BINARY NEW_BINARY [EVENTS]

Build each binary with `cargo build --release --features ssr --bin costline` at its commit
and copy it aside; the load generator is `make bench`'s (target/release/examples/loadgen).
Starts its own PostgreSQL (scripts/pg.sh) in a temporary directory.
"""

import os
import statistics
import sys
import tempfile
import time

import run


def main():
    old, new = sys.argv[1], sys.argv[2]
    events = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000
    tmp = tempfile.mkdtemp(prefix="costline-pg-ab-")
    os.chmod(tmp, 0o755)  # the PostgreSQL server runs as its own user
    make = run.pg_dbs(tmp)
    try:
        rates = {old: [], new: []}
        for binary in (old, new, old, new):
            run.SERVER = binary
            runs, crossings, sent = run.two_instance_runs(make)
            rates[binary] += [r["events_per_sec"] for r in runs]
            print(f"{binary}: two instances {[round(r['events_per_sec']) for r in runs]} events/s, "
                  f"p99 {[r['p99_ms'] for r in runs]} ms; {sent:,} events, {crossings} alerts, all exact", flush=True)
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
    finally:
        make.stop()


if __name__ == "__main__":
    main()
