#!/usr/bin/env python3
"""Heap allocations per ingested event: `malloc` and `realloc` calls of the server, by
thread, counted with uprobes on glibc around 20,000 events at 64 clients (SQLite, the
ingest runs' 100 budgeted agents). Needs root and `perf`; once per machine:

    perf probe -x /lib/x86_64-linux-gnu/libc.so.6 --add malloc
    perf probe -x /lib/x86_64-linux-gnu/libc.so.6 --add realloc

    python3 benches/mallocs.py BINARY [BINARY ...]

The server allocates through jemalloc since 2026-11-30 (`src/main.rs`): glibc's `malloc`
then sees only the C code's allocations (SQLite's). For the Rust side's, count a build
without the `#[global_allocator]` line; the script says which kind of binary it measured.
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time

import run

EVENTS = 20_000


def count(binary):
    """Calls per event, in all and by thread name."""
    run.SERVER = binary
    tmp = tempfile.mkdtemp(prefix="costline-mallocs-")
    server = run.Server(f"sqlite:{tmp}/m.db")
    try:
        company, agents = run.setup(server.base, 100, 10**10, lambda i: 500 + 20 * i)
        args = run.target_args(server.base, company, agents)
        run.loadgen("ingest", *args, "--clients", 64, "--requests", 5000)  # warm up
        perf = subprocess.Popen(["perf", "stat", "-e", "probe_libc:malloc,probe_libc:realloc",
                                 "--per-thread", "-x,", "-p", str(server.proc.pid)],
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        r = run.loadgen("ingest", *args, "--clients", 64, "--requests", EVENTS)
        if r["errors"] or r["events"] != EVENTS:
            raise SystemExit(f"{r['errors']} failed answers")
        time.sleep(0.2)
        perf.send_signal(2)
        _, err = perf.communicate()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    by_thread = {}
    for line in err.splitlines():
        fields = line.split(",")
        if len(fields) > 3 and fields[1].strip().isdigit():
            thread = re.sub(r"-\d+$", "", fields[0].strip())
            key = (thread, fields[3].split(":")[-1])
            by_thread[key] = by_thread.get(key, 0) + int(fields[1])
    if not by_thread:
        raise SystemExit("perf counted nothing: are the probe_libc probes added? " + err[-300:])
    return by_thread


def uses_jemalloc(binary):
    """Whether `binary` links jemalloc (its symbols carry the `_rjem_` prefix)."""
    with open(binary, "rb") as f:
        return b"_rjem_malloc" in f.read()


def main():
    for binary in sys.argv[1:]:
        if uses_jemalloc(binary):
            print(f"{binary}: allocates through jemalloc; counting glibc's calls, the C code's only")
        by_thread = count(binary)
        total = sum(v for (_, call), v in by_thread.items() if call == "malloc")
        parts = ", ".join(f"{thread} {call} {v / EVENTS:.1f}" for (thread, call), v in sorted(by_thread.items()) if v)
        print(f"{binary}: {total / EVENTS:.1f} mallocs per event ({parts})")


if __name__ == "__main__":
    main()
