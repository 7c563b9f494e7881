#!/usr/bin/env python3
"""Two server binaries, A and B, on the dashboard's history card (the `monthly` server
function, by agent), interleaved: one SQLite database with 1,000 agents that all spent this
month, 500 requests a run after 50 to warm up, one client. Checks first that both answer
the same bytes for each grouping (agent, project, model), then prints each run's p50 and p99
and the medians.

    python3 benches/rpc_ab.py OLD_BINARY NEW_BINARY [ROUNDS]

Build each binary with `cargo build --release --features ssr --bin costline` at its commit
and copy it aside; the load generator is `make bench`'s (target/release/examples/loadgen).
"""

import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import run


def history(server, company, group):
    body = urllib.parse.urlencode({"company_id": company, "group_by": group}).encode()
    # Server functions take only same-origin posts.
    req = urllib.request.Request(server.base + "/rpc/monthly", data=body, method="POST",
                                 headers={"content-type": "application/x-www-form-urlencoded",
                                          "origin": server.base})
    with urllib.request.urlopen(req) as r:
        return r.read()


def timed(binary, db, company, requests=500, warm=50):
    run.SERVER = binary
    server = run.Server(db)
    try:
        times = []
        for _ in range(warm + requests):
            started = time.perf_counter()
            history(server, company, "agent")
            times.append(time.perf_counter() - started)
    finally:
        server.stop()
    times = sorted(times[warm:])
    return statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000


def main():
    a, b = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    db = f"sqlite:{tempfile.mkdtemp(prefix='costline-rpc-ab-')}/rpc.db"
    run.SERVER = a
    server = run.Server(db)
    company, agents = run.setup(server.base, 1000, 10**10, lambda i: 1000)
    run.loadgen("ingest", *run.target_args(server.base, company, agents), "--clients", 16, "--requests", 5000)
    server.stop()
    answers = []
    for binary in (a, b):
        run.SERVER = binary
        server = run.Server(db)
        answers.append([history(server, company, g) for g in ("agent", "project", "model")])
        server.stop()
    if answers[0] != answers[1]:
        raise SystemExit("the two binaries answer differently")
    runs = {a: [], b: []}
    for _ in range(rounds):
        for binary in (a, b):
            p50, p99 = timed(binary, db, company)
            runs[binary].append((p50, p99))
            print(f"{binary}: p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for k, v in runs.items()}
    print(f"median A p50 {med[a][0]:.2f} / p99 {med[a][1]:.2f} ms, B p50 {med[b][0]:.2f} / p99 {med[b][1]:.2f} ms, "
          f"B/A p50 {med[b][0] / med[a][0]:.2f}")


if __name__ == "__main__":
    main()
