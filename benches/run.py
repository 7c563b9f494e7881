#!/usr/bin/env python3
"""Costline's benchmark: starts the release server on fresh databases, drives it with the
load generator (benches/loadgen.rs) and writes one markdown report, BENCHMARKS.md.

Run it with `make bench` (which builds what it needs); the dashboard's weight and Lighthouse
scores come from benches/frontend.py. Every figure is the median of
several runs; ratios compare figures measured in this same run. Nothing here asserts a
time: correctness checks (exact sums, one alert per crossing) are the only failures.

The servers' clock starts at a fixed mid-month instant (COSTLINE_CLOCK_START, CLOCK_START
below) and the read dataset is seeded up to it, so the figures and checks mean the same on
any date, the 1st of a month included.

Environment: BENCH_EVENTS (largest read dataset, default 10000000), BENCH_PG=0 to skip
PostgreSQL, BENCH_PG_EVENTS (largest PostgreSQL read dataset, default 10000000),
BENCH_REPEAT (runs per figure, default 3).
"""

import calendar
import contextlib
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import frontend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
SERVER = os.path.join(TARGET, "release", "costline")
LOADGEN = os.path.join(TARGET, "release", "examples", "loadgen")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
BIG = int(os.environ.get("BENCH_EVENTS", "10000000"))
PG = os.environ.get("BENCH_PG", "1") != "0"
PG_BIG = int(os.environ.get("BENCH_PG_EVENTS", "10000000"))
CLOCK_START = datetime.datetime(2026, 11, 15, 12, 0, tzinfo=datetime.timezone.utc)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


class Server:
    """The release binary on one database; `cold_start` is spawn-to-first-answer."""

    def __init__(self, db, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        e = dict(os.environ, DATABASE_URL=db, COSTLINE_BIND=f"127.0.0.1:{self.port}", COSTLINE_LOG="warn",
                 COSTLINE_CLOCK_START=CLOCK_START.isoformat().replace("+00:00", "Z"))
        e.update(env or {})
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([SERVER], cwd=ROOT, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=1).read()
                break
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit("server exited: " + self.proc.stderr.read().decode())
                time.sleep(0.002)
        self.cold_start = time.perf_counter() - t0

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def loadgen(*args):
    out = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(one, show):
    """`python3 benches/X.py OLD NEW [ROUNDS]`: runs `one(binary)` for OLD then NEW, ROUNDS
    times (default 3; a busy machine moves both alike), prints each result with `show` and
    answers OLD's results and NEW's (the same binary twice is an A/A run)."""
    binaries = sys.argv[1:3]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    results = ([], [])
    for _ in range(rounds):
        for i, binary in enumerate(binaries):
            r = one(binary)
            results[i].append(r)
            print(f"{binary}: {show(r)}", flush=True)
    return results


def median_ratio(name, results, value):
    """Prints the medians of `value` over OLD's and NEW's results, and their ratio."""
    ma = statistics.median(value(r) for r in results[0])
    mb = statistics.median(value(r) for r in results[1])
    print(f"{name}median A {ma:,.0f}/s, B {mb:,.0f}/s, B/A {mb / ma:.2f}")


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def setup(base, agents, company_budget, agent_budget):
    company = http("POST", base + "/api/companies", {"name": "Bench", "budgetMonthlyCents": company_budget})["id"]
    ids = []
    for i in range(agents):
        body = {"name": f"agent-{i:04d}", "budgetMonthlyCents": agent_budget(i)}
        ids.append(http("POST", f"{base}/api/companies/{company}/agents", body)["id"])
    return company, ids


def ingest_budget(i):
    """Agent i's monthly budget (cents) in the ingest runs: about half of 100 agents cross it."""
    return 500 + 20 * i


@contextlib.contextmanager
def ingest_target(binary, prefix):
    """The release `binary` on a fresh SQLite file, with the ingest runs' company (100 agents,
    budgets `ingest_budget`): yields the server and the load generator's target arguments,
    and stops the server afterwards. For the scripts comparing two builds."""
    global SERVER
    SERVER = binary
    tmp = tempfile.mkdtemp(prefix=prefix)
    server = Server(f"sqlite:{tmp}/ab.db")
    try:
        company, agents = setup(server.base, 100, 10**10, ingest_budget)
        yield server, target_args(server.base, company, agents)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def target_args(base, company, agents):
    return ["--url", base, "--company", company, "--agents", ",".join(agents)]


INGEST_PLAN = [(1, 2000), (16, 10000), (64, 30000)]


def share(events, agents, k):
    """How many of events 0..events-1, sent round-robin to `agents` agents, agent k got."""
    return max(0, (events - k + agents - 1) // agents)


def ingest_runs(base, company, agents, ceiling=None):
    """Single-event ingest at 1, 16 and 64 clients, then the batch route. Answers the runs
    and the cents the client sent each agent (1 cent per event, agent i % n for event i).
    With `ceiling`, each run at 64 clients follows one of the bare handler's."""
    rows, sent = {}, [0] * len(agents)

    def count(kind, r, events):
        if r["errors"] or r["events"] != events:
            raise SystemExit(f"{kind}: {r['errors']} failed answers, {r['events']} of {events} events created")
        for k in range(len(agents)):
            sent[k] += share(events, len(agents), k)

    for clients, requests in INGEST_PLAN:
        runs = []
        for _ in range(REPEAT):
            if ceiling and clients == 64:
                ceiling.run()
            r = loadgen("ingest", *target_args(base, company, agents), "--clients", clients, "--requests", requests)
            count("ingest", r, requests)
            runs.append(r)
        rows[clients] = runs
    batch = []
    for _ in range(REPEAT):
        r = loadgen("batch", *target_args(base, company, agents), "--clients", 2, "--requests", 30, "--size", 1000)
        count("batch", r, 30 * 1000)
        batch.append(r)
    return rows, batch, sent


EVENT_TYPES = ["alert.soft", "alert.hard", "alert.forecast", "alert.rate", "scope.paused", "scope.resumed"]
VARIANT_EVENTS = 30000


def dead_endpoint():
    """A loopback port that accepts connections and never answers: the worst webhook."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    held = []

    def hold():
        while True:
            held.append(sock.accept())

    threading.Thread(target=hold, daemon=True).start()
    return sock.getsockname()[1]


def variant_runs(base):
    """Ingest at 64 clients into three companies set up alike (100 agents whose budgets make
    about half cross, so alerts and pauses happen), interleaved run by run so drift hits all
    three: plain; every agent with a runaway guard set high enough never to trip (the
    per-minute bookkeeping is the cost); and one webhook endpoint that never answers,
    subscribed to every event type (the outbox fills, the sender's attempts time out)."""
    budget = lambda i: 500 + 20 * i  # noqa: E731
    companies = {name: setup(base, 100, 10**10, budget) for name in ("plain", "guard", "dead webhook")}
    for agent in companies["guard"][1]:
        http("PATCH", f"{base}/api/agents/{agent}", {"maxHourlyCents": 10**11})
    port = dead_endpoint()
    http("POST", f"{base}/api/companies/{companies['dead webhook'][0]}/webhooks",
         {"url": f"http://127.0.0.1:{port}/hook", "events": EVENT_TYPES})
    runs = {name: [] for name in companies}
    for _ in range(REPEAT):
        for name, (company, agents) in companies.items():
            r = loadgen("ingest", *target_args(base, company, agents), "--clients", 64, "--requests", VARIANT_EVENTS)
            if r["errors"] or r["events"] != VARIANT_EVENTS:
                raise SystemExit(f"ingest ({name}): {r['errors']} failed answers, {r['events']} created")
            runs[name].append(r)
    return runs


def paired_ratio(variants, name):
    """The median, over the repeats, of `name`'s rate divided by the plain run of the same
    round: the runs of one round share the machine's state, so drift cancels out."""
    return statistics.median(r["events_per_sec"] / p["events_per_sec"]
                             for r, p in zip(variants[name], variants["plain"]))


def check_correctness(base, company, agents, budgets, sent):
    """After the load, against what the client sent: the month's spend and each agent's
    spend equal it exactly; the alerts are exactly those the sent amounts call for (one
    soft at 80%, one hard at 100%, per agent; none for the company, whose budget is far
    away, nor for any project); an agent is paused exactly when it reached its budget."""
    total = sum(sent)
    s = http("GET", f"{base}/api/companies/{company}/costs/summary")
    assert (s["spendCents"], s["eventCount"]) == (total, total), (s, total)
    rows = {r["agentId"]: r for r in http("GET", f"{base}/api/companies/{company}/costs/by-agent")}
    assert set(rows) == set(agents), "one row per agent"
    want_alerts = set()
    for agent, budget, cents in zip(agents, budgets, sent):
        row = rows[agent]
        assert (row["costCents"], row["eventCount"]) == (cents, cents), (row, cents)
        if 5 * cents >= 4 * budget:
            want_alerts.add(("agent", agent, "soft"))
        if cents >= budget:
            want_alerts.add(("agent", agent, "hard"))
        assert row["agentStatus"] == ("paused" if cents >= budget else "active"), (row, cents, budget)
    alerts = http("GET", f"{base}/api/companies/{company}/budget-alerts")
    got = [(a["scopeType"], a["scopeId"], a["threshold"]) for a in alerts]
    assert len(got) == len(set(got)), "no alert twice"
    assert set(got) == want_alerts, (set(got) ^ want_alerts)
    return len(want_alerts)


def month_bounds_ms():
    """The server's month, [start, end) in Unix milliseconds."""
    start = CLOCK_START.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(start.year, start.month)[1]
    end = start + datetime.timedelta(days=days)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000), days


def seeded_this_month(seeds, agents):
    """Per agent, how many seeded events fall in the server's month, by the seeder's own
    formula: event i of a seeding of `e` events at start + i * span / e, agent i % n."""
    m0, m1, _ = month_bounds_ms()
    per_agent = [0] * agents
    for events, months in seeds:
        span = months * 30 * 24 * 3_600_000
        start = int(CLOCK_START.timestamp() * 1000) - 60_000 - span
        first = lambda t: min(events, max(0, -(-(t - start) * events // span)))  # noqa: E731
        lo, hi = first(m0), first(m1)
        for k in range(agents):
            per_agent[k] += share(hi, agents, k) - share(lo, agents, k)
    return per_agent


def check_reads(base, company, agents, seeds):
    """The read answers show what was seeded: this month's events in the summary, per agent
    in by-agent, and per day in daily."""
    want = seeded_this_month(seeds, len(agents))
    total = sum(want)
    assert total > 0 or not seeds, "the seeded span covers the server's month"
    s = http("GET", f"{base}/api/companies/{company}/costs/summary")
    assert (s["spendCents"], s["eventCount"]) == (total, total), (s, total)
    rows = {r["agentId"]: (r["costCents"], r["eventCount"]) for r in http("GET", f"{base}/api/companies/{company}/costs/by-agent")}
    assert rows == {a: (w, w) for a, w in zip(agents, want)}, "by-agent"
    days = http("GET", f"{base}/api/companies/{company}/costs/daily")
    month = CLOCK_START.strftime("%Y-%m")
    assert [d["date"] for d in days] == [f"{month}-{d:02d}" for d in range(1, month_bounds_ms()[2] + 1)]
    assert sum(d["costCents"] for d in days) == total and sum(d["eventCount"] for d in days) == total


def read_runs(base, company, agents, seeds):
    check_reads(base, company, agents, seeds)
    out = {}
    for name, path in [
        ("summary", f"/api/companies/{company}/costs/summary"),
        ("by-agent", f"/api/companies/{company}/costs/by-agent"),
        ("daily", f"/api/companies/{company}/costs/daily"),
    ]:
        runs = [loadgen("read", "--url", base, "--path", path, "--clients", 1, "--requests", 1000) for _ in range(REPEAT)]
        for r in runs:
            if r["errors"]:
                raise SystemExit(f"read {name}: errors")
        out[name] = runs
    return out


def status_runs(base, agent):
    """budget-status of one agent at 64 clients: the call an adapter makes before every
    heartbeat."""
    runs = [loadgen("read", "--url", base, "--path", f"/api/agents/{agent}/budget-status",
                    "--clients", 64, "--requests", 20000) for _ in range(REPEAT)]
    if any(r["errors"] for r in runs):
        raise SystemExit("budget-status: errors")
    return runs


# A fleet of 2,000 agents each asking once a second, over 64 connections.
STATUS_RATE = 2000


def status_paced_runs(base, agent):
    """budget-status at a fixed arrival rate (open loop, latency counted from each request's
    scheduled time): the p99 an adapter sees when the server is not saturated. With 64
    clients each sending again the moment it is answered, the machine is saturated by
    construction and p99 is queueing (Little's law: 64 in flight / rate = mean latency)."""
    runs = [loadgen("read", "--url", base, "--path", f"/api/agents/{agent}/budget-status",
                    "--clients", 64, "--requests", 10 * STATUS_RATE, "--rate", STATUS_RATE)
            for _ in range(REPEAT)]
    if any(r["errors"] for r in runs):
        raise SystemExit("budget-status (paced): errors")
    return runs


# Below the 1,000 active holds an agent may have, so the budget is what runs out.
HOLD_ROOM = 800


def hold_runs(base, company):
    """64 clients holding 1 cent each against an agent with HOLD_ROOM cents: the grant rate,
    and exactly HOLD_ROOM grants (a fresh agent per run: holds last an hour)."""
    runs = []
    for i in range(REPEAT):
        agent = http("POST", f"{base}/api/companies/{company}/agents",
                     {"name": f"holder-{i}", "budgetMonthlyCents": HOLD_ROOM})["id"]
        r = loadgen("hold", *target_args(base, company, [agent]), "--clients", 64, "--requests", 4 * HOLD_ROOM)
        if r["errors"] or r["events"] != HOLD_ROOM:
            raise SystemExit(f"holds: {r['errors']} failed answers, {r['events']} granted of {HOLD_ROOM} cents")
        s = http("GET", f"{base}/api/agents/{agent}/budget-status")
        assert (s["mayRun"], s["scopes"][0]["heldCents"]) == (False, HOLD_ROOM), s
        runs.append(r)
    return runs


SEED_MONTHS = 12


def seed(db, company, agents, events):
    """Adds `events` straight into the database (and rebuilds the rollups), spread over the
    12 months up to the server's clock: the issue allows seeding through the store; through
    the API, 10 million events would take most of the benchmark's time budget."""
    r = loadgen("seed-sql", "--database-url", db, "--company", company, "--agents", ",".join(agents),
                "--events", events, "--months", SEED_MONTHS,
                "--until", CLOCK_START.isoformat().replace("+00:00", "Z"))
    if not db.startswith("sqlite:"):
        # A database that grew to this size over months has been vacuumed and analyzed by
        # autovacuum along the way. Right after a bulk load autovacuum works through every
        # month's partition for minutes, and the reads would measure that instead.
        subprocess.run(["psql", db, "-qc", "VACUUM (ANALYZE)"], check=True, capture_output=True)
    return r["events_per_sec"]


def two_instance_runs(make_db, env=None):
    """Ingest at 64 clients split over two servers on one PostgreSQL database (32 each),
    as a fleet behind a load balancer would send it; then the same correctness check as
    for one server. The rate is all events over the wall time of the two runs together."""
    db = make_db()
    servers = [Server(db, env), Server(db, env)]
    try:
        budget = lambda i: 500 + 20 * i  # noqa: E731
        company, agents = setup(servers[0].base, 100, 10**10, budget)
        sent, runs, each = [0] * len(agents), [], 15000
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            procs = [subprocess.Popen([LOADGEN, "ingest", *target_args(s.base, company, agents), "--clients", "32",
                                       "--requests", str(each)], stdout=subprocess.PIPE, text=True) for s in servers]
            outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            wall = time.perf_counter() - t0
            if any(o["errors"] or o["events"] != each for o in outs):
                raise SystemExit(f"two instances: failed answers {outs}")
            for k in range(len(agents)):
                sent[k] += 2 * share(each, len(agents), k)
            runs.append({"events_per_sec": 2 * each / wall, "p50_ms": max(o["p50_ms"] for o in outs),
                         "p99_ms": max(o["p99_ms"] for o in outs), "max_ms": max(o["max_ms"] for o in outs)})
        crossings = check_correctness(servers[1].base, company, agents, [budget(i) for i in range(len(agents))], sent)
        return runs, crossings, sum(sent)
    finally:
        for s in servers:
            s.stop()


def bench_database(label, make_db, big, env=None, reads=True, variants=False, ceiling=None):
    """All figures for one database kind. `make_db()` answers a fresh database URL; with
    `ceiling` ([`Ceiling`]), its ingest at 64 clients is paired with the bare handler's."""
    res = {"label": label}
    # Ingest, on a fresh database: 100 agents whose budgets make about half of them cross.
    server = Server(make_db(), env)
    res["cold_start_empty"] = server.cold_start
    budget = ingest_budget
    company, agents = setup(server.base, 100, 10**10, budget)
    log(f"[{label}] ingest")
    res["ingest"], res["batch"], sent = ingest_runs(server.base, company, agents, ceiling)
    res["rss_mb"] = server.peak_rss_mb()
    res["crossings"] = check_correctness(server.base, company, agents, [budget(i) for i in range(len(agents))], sent)
    res["sent"] = sum(sent)
    log(f"[{label}] budget holds")
    res["holds"] = hold_runs(server.base, company)
    server.stop()
    if label == "PostgreSQL":
        log(f"[{label}] ingest through two instances")
        res["two"], res["two_crossings"], res["two_sent"] = two_instance_runs(make_db, env)
    if variants:
        log(f"[{label}] ingest with a guard, with a dead webhook")
        server = Server(make_db(), env)
        res["variants"] = variant_runs(server.base)
        server.stop()
    if not reads:
        return res

    # Reads, on a database growing from 0 to `big` events, 1,000 agents.
    db = make_db()
    server = Server(db)
    company, agents = setup(server.base, 1000, 0, lambda i: 0)
    seeds = []
    res["reads"] = {0: read_runs(server.base, company, agents, seeds)}
    res["seed_rate"] = []
    have = 0
    for size in sorted({min(1_000_000, big), big}):
        log(f"[{label}] seeding to {size} events")
        res["seed_rate"].append(seed(db, company, agents, size - have))
        seeds.append((size - have, SEED_MONTHS))
        have = size
        res["reads"][size] = read_runs(server.base, company, agents, seeds)
    res["storage"] = storage(db)
    log(f"[{label}] budget-status at 64 clients")
    res["status"] = status_runs(server.base, agents[0])
    res["status_paced"] = status_paced_runs(server.base, agents[0])
    server.stop()
    server = Server(make_db.last)
    res["cold_start_big"] = server.cold_start
    server.stop()
    res["big"] = big
    return res


STORAGE_GROUPS = {"cost_events": "cost_events%", "monthly rollups": "rollup_%month%",
                  "daily rollups": "rollup_company_day%", "daily spend (forecast)": "spend_day%"}


def storage(db):
    """Bytes on disk per row of the ledger and of the rollups (tables with their indexes),
    for the capacity model in docs/SCALING.md."""
    out = {}
    if db.startswith("sqlite:"):
        import sqlite3
        conn = sqlite3.connect(db[len("sqlite:"):])
        for group, like in STORAGE_GROUPS.items():
            size = conn.execute("SELECT COALESCE(SUM(s.pgsize), 0) FROM dbstat s JOIN sqlite_schema m "
                                "ON m.name = s.name WHERE m.tbl_name LIKE ?", (like,)).fetchone()[0]
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE ?", (like,))]
            rows = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)
            out[group] = (size, rows)
        conn.close()
    else:
        for group, like in STORAGE_GROUPS.items():
            # Leaf tables only: a partitioned parent holds no rows of its own.
            q = (f"SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0), COALESCE(SUM(c.reltuples), 0) "
                 f"FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE '{like}'")
            subprocess.run(["psql", db, "-qc", "ANALYZE"], check=True, capture_output=True)
            size, rows = subprocess.run(["psql", db, "-tAF,", "-c", q], check=True, capture_output=True,
                                        text=True).stdout.strip().split(",")
            out[group] = (int(float(size)), int(float(rows)))
    return out


def sqlite_dbs(tmp):
    n = [0]

    def make():
        n[0] += 1
        make.last = f"sqlite:{tmp}/bench-{n[0]}.db"
        return make.last

    return make


def pg_dbs(tmp):
    port = free_port()
    admin = subprocess.run([os.path.join(ROOT, "scripts/pg.sh"), "start", f"{tmp}/pg", str(port)],
                           capture_output=True, text=True, check=True).stdout.strip()
    n = [0]

    def make():
        n[0] += 1
        name = f"bench_{n[0]}"
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        make.last = admin.rsplit("/", 1)[0] + "/" + name
        return make.last

    make.stop = lambda: subprocess.run([os.path.join(ROOT, "scripts/pg.sh"), "stop", f"{tmp}/pg"], check=False)
    return make


class Ceiling:
    """The load generator's bare axum handler, up for the whole SQLite ingest: each of its
    runs (64 clients, 30,000 requests) goes right before one of SQLite's at 64 clients, so
    the ratio the 40% target speaks of compares runs a few seconds apart, not minutes
    apart on a machine whose speed moves (the bare handler measured 51k to 80k events/s
    from one full run to the next)."""

    def __init__(self):
        port = free_port()
        self.proc = subprocess.Popen([LOADGEN, "ceiling", "--bind", f"127.0.0.1:{port}"])
        self.args = target_args(f"http://127.0.0.1:{port}", "x", ["a"])
        self.runs = []
        for _ in range(100):
            try:
                loadgen("ingest", *self.args, "--clients", 64, "--requests", 5000)  # warm up
                return
            except subprocess.CalledProcessError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit("the bare handler did not start")

    def run(self):
        r = loadgen("ingest", *self.args, "--clients", 64, "--requests", 30000)
        self.runs.append(r)
        return r

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}, {rustc}; client and server share the machine"


def fmt(x, digits=1):
    return f"{x:,.{digits}f}"


def paired_ceiling(res, ceil):
    """SQLite's ingest at 64 clients against the bare handler: the median of each run's
    rate over that of the bare handler's run just before it."""
    return statistics.median(r["events_per_sec"] / c["events_per_sec"] for r, c in zip(res["ingest"][64], ceil))


def targets(results, ceil):
    """The issue's targets next to what this run measured (SQLite, the default)."""
    sq = results[0]
    rate = median_of(sq["ingest"][64], "events_per_sec")
    mid = sorted(sq["ingest"][64], key=lambda r: r["events_per_sec"])[len(sq["ingest"][64]) // 2]
    batch = median_of(sq["batch"], "events_per_sec")
    big = max(sq["reads"])
    p99 = lambda size, name: median_of(sq["reads"][size][name], "p99_ms")
    p50 = lambda size, name: median_of(sq["reads"][size][name], "p50_ms")
    paired = paired_ceiling(sq, ceil)
    rows = [
        ("Ingest at 64 clients >= 10,000 events/s", f"{rate:,.0f}", rate >= 10_000),
        ("Ingest p99 < 20 ms", f"{mid['p99_ms']:.2f} ms", mid["p99_ms"] < 20),
        ("Ingest >= 40% of the bare handler (each run against the bare handler's just before it)",
         f"{paired:.0%}", paired >= 0.4),
        ("Batch route >= 100,000 events/s", f"{batch:,.0f}", batch >= 100_000),
        (f"summary p99 < 5 ms at {big:,} events", f"{p99(big, 'summary'):.2f} ms", p99(big, "summary") < 5),
        (f"by-agent p99 < 5 ms at {big:,} events", f"{p99(big, 'by-agent'):.2f} ms", p99(big, "by-agent") < 5),
        ("by-agent p50 at most 2x its 0-event figure", f"{p50(big, 'by-agent') / p50(0, 'by-agent'):.1f}x", p50(big, "by-agent") <= 2 * p50(0, "by-agent")),
        (f"budget-status p99 < 2 ms at 64 clients, {big:,} events (closed loop: saturated)", f"{median_of(sq['status'], 'p99_ms'):.2f} ms", median_of(sq["status"], "p99_ms") < 2),
        (f"budget-status p99 < 2 ms at 64 clients, {STATUS_RATE:,} requests/s, {big:,} events", f"{median_of(sq['status_paced'], 'p99_ms'):.2f} ms", median_of(sq["status_paced"], "p99_ms") < 2),
    ]
    v = sq.get("variants")
    if v:
        for name in ("guard", "dead webhook"):
            ratio = paired_ratio(v, name)
            rows.append((f"Ingest at 64 clients with a {name} within 5% of plain (paired runs)", f"{ratio:.0%}", ratio >= 0.95))
    rows += [
        ("Peak RSS during ingest < 100 MB", f"{sq['rss_mb']:.1f} MB", sq["rss_mb"] < 100),
        ("Cold start < 1 s", f"{sq['cold_start_empty'] * 1000:.0f} ms", sq["cold_start_empty"] < 1),
    ]
    out = ["", "## Against the targets (SQLite, the default)", "", "| Target | Measured | Met |", "|---|---:|:---:|"]
    out += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in rows]
    pg = next((r for r in results if r["label"] == "PostgreSQL"), None)
    if pg:
        big = max(pg["reads"])
        p99 = lambda name: median_of(pg["reads"][big][name], "p99_ms")  # noqa: E731
        two = median_of(pg["two"], "events_per_sec")
        rows = [
            (f"summary p99 < 5 ms at {big:,} events", f"{p99('summary'):.2f} ms", p99("summary") < 5),
            (f"by-agent p99 < 5 ms at {big:,} events", f"{p99('by-agent'):.2f} ms", p99("by-agent") < 5),
            ("Ingest at 64 clients, two instances >= 10,000 events/s", f"{two:,.0f}", two >= 10_000),
        ]
        out += ["", "## Against the targets (PostgreSQL)", "", "| Target | Measured | Met |", "|---|---:|:---:|"]
        out += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in rows]
    return out


def report(results, ceil, started, fe):
    ceil_rate = median_of(ceil, "events_per_sec")
    lines = [
        "# Costline benchmarks",
        "",
        f"Written by `make bench` on {started:%Y-%m-%d %H:%M} UTC in {time.time() - started.timestamp():.0f} s.",
        f"Machine: {machine()}.",
        f"Each figure is the median of {REPEAT} runs (latencies: the median run's percentiles).",
        "Load: `benches/loadgen.rs`, keep-alive HTTP/1.1 clients on loopback; every answer checked.",
        "",
        "## Ingest (one event per request, enforcement on: 100 agents and the company have budgets)",
        "",
        "| Database | Clients | Events/s | p50 ms | p99 ms | max ms | vs. bare handler |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for clients, runs in res["ingest"].items():
            mid = sorted(runs, key=lambda r: r["events_per_sec"])[len(runs) // 2]
            rate = median_of(runs, "events_per_sec")
            paired = res is results[0] and clients == 64
            ratio = f"{paired_ceiling(res, ceil) if paired else rate / ceil_rate:.0%}" if clients == 64 else ""
            lines.append(f"| {res['label']} | {clients} | {fmt(rate, 0)} | {fmt(mid['p50_ms'], 2)} | {fmt(mid['p99_ms'], 2)} | {fmt(max(r['max_ms'] for r in runs), 1)} | {ratio} |")
        if "two" in res:
            runs = res["two"]
            mid = sorted(runs, key=lambda r: r["events_per_sec"])[len(runs) // 2]
            rate = median_of(runs, "events_per_sec")
            lines.append(f"| {res['label']}, two instances | 64 (32 each) | {fmt(rate, 0)} | {fmt(mid['p50_ms'], 2)} | {fmt(mid['p99_ms'], 2)} | {fmt(max(r['max_ms'] for r in runs), 1)} | {rate / ceil_rate:.0%} |")
    mid = sorted(ceil, key=lambda r: r["events_per_sec"])[len(ceil) // 2]
    lines.append(f"| bare axum handler (no database) | 64 | {fmt(ceil_rate, 0)} | {fmt(mid['p50_ms'], 2)} | {fmt(mid['p99_ms'], 2)} | {fmt(max(r['max_ms'] for r in ceil), 1)} | 100% |")
    lines += [
        "",
        f"Each of the bare handler's runs ({', '.join(fmt(r['events_per_sec'], 0) for r in ceil)} events/s) went right "
        f"before one of {results[0]['label']}'s at 64 clients ({', '.join(fmt(r['events_per_sec'], 0) for r in results[0]['ingest'][64])}): "
        f"that row's ratio is the median of the pairs' ratios, the others' are against the bare handler's median.",
    ]
    lines += [
        "",
        "## Batch route (`POST .../cost-events/batch`, 1,000 events per request, 2 clients)",
        "",
        "| Database | Events/s | p50 ms per batch | p99 ms per batch |",
        "|---|---:|---:|---:|",
    ]
    for res in results:
        mid = sorted(res["batch"], key=lambda r: r["events_per_sec"])[len(res["batch"]) // 2]
        lines.append(f"| {res['label']} | {fmt(median_of(res['batch'], 'events_per_sec'), 0)} | {fmt(mid['p50_ms'], 1)} | {fmt(mid['p99_ms'], 1)} |")
    lines += [
        "",
        "## Reads (1,000 agents; events spread over 12 months; one client, 1,000 requests per run)",
        "",
        "| Database | Events stored | summary p50 / p99 ms | by-agent p50 / p99 ms | daily p50 / p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for res in results:
        for size, reads in res.get("reads", {}).items():
            cells = []
            for name in ["summary", "by-agent", "daily"]:
                runs = reads[name]
                cells.append(f"{fmt(median_of(runs, 'p50_ms'), 2)} / {fmt(median_of(runs, 'p99_ms'), 2)}")
            lines.append(f"| {res['label']} | {size:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Budget status and holds (64 clients)",
        "",
        f"| Database | budget-status, as fast as answered: p50 / p99 ms | requests/s | budget-status at {STATUS_RATE:,}/s: p50 / p99 ms | holds of 1 cent: answers/s | granted |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        st, paced = res.get("status"), res.get("status_paced")
        cell = f"{fmt(median_of(st, 'p50_ms'), 2)} / {fmt(median_of(st, 'p99_ms'), 2)} ({res['big']:,} events)" if st else "n/a"
        rate = fmt(median_of(st, "requests_per_sec"), 0) if st else "n/a"
        paced_cell = f"{fmt(median_of(paced, 'p50_ms'), 2)} / {fmt(median_of(paced, 'p99_ms'), 2)}" if paced else "n/a"
        lines.append(f"| {res['label']} | {cell} | {rate} | {paced_cell} | {fmt(median_of(res['holds'], 'requests_per_sec'), 0)} | exactly {HOLD_ROOM:,} of {4 * HOLD_ROOM:,} each run |")
    for res in results:
        v = res.get("variants")
        if not v:
            continue
        plain = median_of(v["plain"], "events_per_sec")
        lines += ["", f"## Ingest with a runaway guard, with a dead webhook ({res['label']}, 64 clients, {VARIANT_EVENTS:,} events a run, interleaved)", "",
                  "| Company set up with | events/s (median) | vs plain | vs the plain run just before it (median) | p99 ms |", "|---|---:|---:|---:|---:|"]
        for name, runs in v.items():
            rate = median_of(runs, "events_per_sec")
            lines.append(f"| {name} | {fmt(rate, 0)} | {rate / plain:.0%} | {paired_ratio(v, name):.0%} | {fmt(median_of(runs, 'p99_ms'), 2)} |")
    lines += ["", "## Process", "", "| Database | Peak RSS during ingest | Cold start, empty DB | Cold start, largest DB | Seeding (SQL, bench only) |", "|---|---:|---:|---:|---:|"]
    for res in results:
        if "reads" not in res:
            continue
        seed_rate = ", ".join(fmt(s, 0) for s in res["seed_rate"])
        lines.append(f"| {res['label']} | {fmt(res['rss_mb'], 1)} MB | {fmt(res['cold_start_empty'] * 1000, 0)} ms | {fmt(res['cold_start_big'] * 1000, 0)} ms ({res['big']:,} events) | {seed_rate} events/s |")
    lines += ["", "## Storage (the read dataset: 1,000 agents, events over 12 months; tables with their indexes)", "",
              "| Database | Table | Rows | Size | Bytes per row |", "|---|---|---:|---:|---:|"]
    for res in results:
        for group, (size, rows) in res.get("storage", {}).items():
            per = f"{size / rows:,.0f}" if rows else "n/a"
            lines.append(f"| {res['label']} | {group} | {rows:,} | {size / 2**20:,.1f} MiB | {per} |")
    lines += frontend.frontend_report(fe)
    lines += targets(results, ceil)
    lines += ["", "## Correctness under the load", ""]
    for res in results:
        lines.append(f"- {res['label']}: {res['sent']:,} events sent; the month's spend and each agent's spend equal what the client sent exactly, and the alerts are exactly the {res['crossings']} that those sums call for (no other agent, company or project alert).")
        if "two" in res:
            lines.append(f"- {res['label']}, two instances on one database: {res['two_sent']:,} events sent, checked the same way: exactly the {res['two_crossings']} alerts those sums call for.")
    lines.append("")
    return "\n".join(lines)


HAND_WRITTEN = "<!-- Below: written by hand (before/after figures, history); make bench keeps it. -->"


def kept_by_hand(path):
    """The hand-written end of the report (from the HAND_WRITTEN line on), kept as it is."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        return ""
    at = old.find(HAND_WRITTEN)
    return "" if at < 0 else "\n" + old[at:]


def main():
    for path in (SERVER, LOADGEN):
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: run `make bench`")
    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = tempfile.mkdtemp(prefix="costline-bench-")
    os.chmod(tmp, 0o755)  # the PostgreSQL server runs as its own user
    try:
        log("ceiling: bare axum handler, interleaved with SQLite's ingest at 64 clients")
        bare = Ceiling()
        try:
            results = [bench_database("SQLite", sqlite_dbs(tmp), BIG, variants=True, ceiling=bare)]
        finally:
            bare.stop()
        ceil = bare.runs
        # The same ingest with fsync at checkpoints only: still survives a killed process.
        results.append(bench_database("SQLite, synchronous=normal", sqlite_dbs(tmp), 0,
                                      {"COSTLINE_SQLITE_SYNCHRONOUS": "normal"}, reads=False))
        if PG:
            pg = pg_dbs(tmp)
            try:
                results.append(bench_database("PostgreSQL", pg, PG_BIG))
            finally:
                pg.stop()
        log("dashboard: Lighthouse on the overview, accessibility of every page")
        fe = frontend.frontend_runs(Server, http, CLOCK_START, REPEAT, f"sqlite:{tmp}/frontend.db")
        text = report(results, ceil, started, fe) + kept_by_hand(os.path.join(ROOT, "BENCHMARKS.md"))
        with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
            f.write(text)
        print(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
