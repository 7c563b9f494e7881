#!/usr/bin/env python3
"""Two server binaries, A and B, through `make bench`'s SQLite ingest flow, interleaved
(A B A B ...): on a fresh database with 100 budgeted agents, single-event ingest at 1, 16
and 64 clients (BENCH_REPEAT runs each, default 3), then the batch route, all on the same
server as the bench does. Prints each run's medians and peak RSS, then the ratios.

    python3 benches/flow_ab.py OLD_BINARY NEW_BINARY [ROUNDS]

Unlike `benches/ab.py` (64 clients only), this shows what changes with the shape of the
batches: one client commits one event at a time, the batch route a thousand.
"""

import statistics

import run


def one(binary):
    with run.ingest_target(binary, "costline-flow-ab-") as (server, args):
        base, company, agents = args[1], args[3], args[5].split(",")
        rows, batch, _ = run.ingest_runs(base, company, agents)
        result = {f"{clients} clients": statistics.median(r["events_per_sec"] for r in runs)
                  for clients, runs in rows.items()}
        result["batch route"] = statistics.median(r["events_per_sec"] for r in batch)
        result["rss_mb"] = server.peak_rss_mb()
        return result


def main():
    def show(r):
        rates = ", ".join(f"{k} {v:,.0f}/s" for k, v in r.items() if k != "rss_mb")
        return f"{rates}; peak RSS {r['rss_mb']:.1f} MB"

    results = run.interleaved(one, show)
    for key in results[0][0]:
        if key != "rss_mb":
            run.median_ratio(f"{key}: ", results, lambda r: r[key])


if __name__ == "__main__":
    main()
