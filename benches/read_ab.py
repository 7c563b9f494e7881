#!/usr/bin/env python3
"""One report of PostgreSQL, A against B, interleaved (A B, then B A, ...): 1,000 agents,
EVENTS events seeded (default 1 million) and the database vacuumed, then for each run a
fresh server answering 1,500 requests from one client (200 first, not counted). Prints each
run's p50 and p99 and the server's CPU per request (from /proc: user and system time over
the run), then each binary's medians. CPU per request moves less with a busy machine than
the latencies do.

    python3 benches/read_ab.py OLD_BINARY NEW_BINARY [ROUNDS] [EVENTS] [--path by-agent]

`--path` takes a report's last path segment (`summary`, `by-agent`, `by-project`, `daily`).
Starts its own PostgreSQL (scripts/pg.sh) in a temporary directory and removes it after.
"""

import os
import shutil
import statistics
import sys
import tempfile

import run


def cpu_ticks(pid):
    """User and system time of process `pid`, in clock ticks (1/100 s)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    args = sys.argv[1:]
    report = "by-agent"
    if "--path" in args:
        i = args.index("--path")
        report = args[i + 1]
        del args[i:i + 2]
    binaries = args[:2]
    rounds = int(args[2]) if len(args) > 2 else 4
    events = int(args[3]) if len(args) > 3 else 1_000_000
    requests = 1500
    tmp = tempfile.mkdtemp(prefix="costline-read-ab-")
    os.chmod(tmp, 0o755)  # the PostgreSQL server runs as its own user
    make = run.pg_dbs(tmp)
    results = ([], [])  # by position: the same binary twice is an A/A run
    try:
        db = make()
        run.SERVER = binaries[0]
        server = run.Server(db)
        company, agents = run.setup(server.base, 1000, 0, lambda i: 0)
        server.stop()
        run.seed(db, company, agents, events)
        path = f"/api/companies/{company}/costs/{report}"
        for r in range(rounds):
            for i in (0, 1) if r % 2 == 0 else (1, 0):
                binary = binaries[i]
                run.SERVER = binary
                server = run.Server(db)
                try:
                    run.loadgen("read", "--url", server.base, "--path", path, "--clients", 1, "--requests", 200)
                    before = cpu_ticks(server.proc.pid)
                    out = run.loadgen("read", "--url", server.base, "--path", path, "--clients", 1,
                                      "--requests", requests)
                    us = (cpu_ticks(server.proc.pid) - before) * 10_000 / requests
                finally:
                    server.stop()
                if out["errors"]:
                    raise SystemExit(f"{binary}: {out['errors']} failed answers")
                results[i].append((out["p50_ms"], out["p99_ms"], us))
                print(f"{binary}: p50 {out['p50_ms']:.2f} ms, p99 {out['p99_ms']:.2f} ms, "
                      f"server CPU {us:,.0f} µs per request", flush=True)
        for name, binary, runs in zip("AB", binaries, results):
            p50, p99, us = (statistics.median(r[k] for r in runs) for k in range(3))
            print(f"{name} {binary}: median p50 {p50:.2f} ms, p99 {p99:.2f} ms, CPU {us:,.0f} µs per request")
    finally:
        make.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
