#!/usr/bin/env python3
"""CPU time per event: the server's and the load generator's, read from /proc and
getrusage around one run of 30,000 events at 64 clients (SQLite, the ingest runs' 100
budgeted agents), and how many cores each used. With `ceiling`, the same for the load
generator's bare handler (60,000 requests).

    python3 benches/cpu.py BINARY [RUNS]
    python3 benches/cpu.py ceiling [RUNS]

A server that uses less than the machine while its clients wait is bound by something
other than CPU: here, the one commit loop. The machine's idle share over the run (all
cores, from /proc/stat) says how much CPU was left.
"""

import os
import resource
import sys
import time

import run


def cpu_seconds(pid):
    """User and system CPU of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def machine_times():
    """The machine's CPU times so far (user, nice, system, idle, iowait, irq, softirq,
    steal), in clock ticks, over all cores."""
    with open("/proc/stat") as f:
        return [int(v) for v in f.readline().split()[1:9]]


def measure(pid, args, requests):
    """Runs the load generator once against `args`; answers the run and the CPU figures."""
    machine0 = machine_times()
    server0, client0, t0 = cpu_seconds(pid), children_cpu(), time.perf_counter()
    r = run.loadgen("ingest", *args, "--clients", 64, "--requests", requests)
    wall = time.perf_counter() - t0
    server, client = cpu_seconds(pid) - server0, children_cpu() - client0
    ticks = [b - a for a, b in zip(machine0, machine_times())]
    idle = 100 * ticks[3] / max(1, sum(ticks))
    if r["errors"] or r["events"] != requests:
        raise SystemExit(f"{r['errors']} failed answers")
    return (f"{r['events_per_sec']:,.0f} events/s; server {1e6 * server / requests:.1f} µs per event "
            f"({server / wall:.2f} cores), load generator {1e6 * client / requests:.1f} µs "
            f"({client / wall:.2f} cores); machine idle {idle:.0f}%")


def ceiling():
    bare = run.Ceiling()  # started and warmed up
    try:
        return measure(bare.proc.pid, bare.args, 60000)
    finally:
        bare.stop()


def server(binary):
    with run.ingest_target(binary, "costline-cpu-") as (s, args):
        run.loadgen("ingest", *args, "--clients", 64, "--requests", 5000)  # warm up
        return measure(s.proc.pid, args, 30000)


def main():
    what = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for _ in range(runs):
        print(f"{what}: {ceiling() if what == 'ceiling' else server(what)}", flush=True)


if __name__ == "__main__":
    main()
