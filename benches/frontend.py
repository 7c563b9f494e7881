"""The dashboard's weight and Lighthouse scores, for `make bench` (benches/run.py).

A release server on a fresh SQLite file, a company seeded with a month of events (agents
under, near and over budget, projects, models), then Lighthouse 12.2.3 (npm, pinned in
end2end/package.json) in Debian's Chromium on its overview, desktop and mobile presets:
performance, accessibility, and what a cold load transfers (compressed, as sent). Every
dashboard page is then checked for accessibility alone.

Run alone: `python3 benches/frontend.py` prints the section without touching BENCHMARKS.md.
"""

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIGHTHOUSE = os.path.join(ROOT, "end2end", "node_modules", ".bin", "lighthouse")
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# The pages of tests/api/auth/matrix.rs `DASHBOARD_PAGES`, `{a}` the seeded company.
PAGES = ["/", "/prices", "/companies/{a}", "/companies/{a}/agents", "/companies/{a}/projects",
         "/companies/{a}/alerts", "/companies/{a}/events", "/companies/{a}/settings",
         "/companies/{a}/notifications", "/companies/{a}/activity"]


def seed_month(http, base, until):
    """A company ($1,000 a month) with eight agents (budgets from well under to twice over),
    three projects and 400 events over the month's days up to `until`, over five models."""
    company = http("POST", base + "/api/companies", {"name": "Acme Research", "budgetMonthlyCents": 100_000})["id"]
    budgets = [5_000, 5_000, 10_000, 2_000, 0, 20_000, 8_000, 3_000]
    agents = [http("POST", f"{base}/api/companies/{company}/agents",
                   {"name": f"agent-{name}", "budgetMonthlyCents": b})["id"]
              for name, b in zip(["writer", "reviewer", "planner", "scraper", "triage", "coder", "tester", "summarizer"], budgets)]
    projects = [http("POST", f"{base}/api/companies/{company}/projects", {"name": n})["id"]
                for n in ("Launch", "Research", "Support")]
    models = ["claude-sonnet-4", "claude-opus-4", "gpt-5", "gpt-5-mini", "gemini-2.5-pro-preview-06-05"]
    events = []
    for k in range(400):
        d = 1 + k * (until.day - 1) // 400
        events.append({
            "agentId": agents[k % len(agents)],
            "projectId": projects[k % 4] if k % 4 < 3 else None,
            "provider": "anthropic",
            "model": models[k % len(models)],
            "inputTokens": 1000 + k, "outputTokens": 100,
            # agent-scraper (index 3, $20 budget) ends at about twice its budget
            "costCents": 80 if k % len(agents) == 3 else 25 + k % 40,
            "occurredAt": until.replace(day=d, hour=k % 12).isoformat().replace("+00:00", "Z"),
        })
    events = [{k: v for k, v in e.items() if v is not None} for e in events]
    for i in range(0, len(events), 200):
        http("POST", f"{base}/api/companies/{company}/cost-events/batch", {"events": events[i:i + 200]})
    return company


def lighthouse(url, preset, categories):
    """One Lighthouse run; answers its JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        args = [LIGHTHOUSE, url, "--output=json", f"--output-path={out}", "--quiet",
                f"--only-categories={','.join(categories)}",
                "--chrome-flags=--headless=new --no-sandbox"]
        if preset == "desktop":
            args.append("--preset=desktop")
        subprocess.run(args, check=True, env=dict(os.environ, CHROME_PATH=CHROME), cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(out) as f:
            return json.load(f)


def weight(report):
    """Bytes transferred by the load (compressed as sent) and those of the WASM."""
    items = report["audits"]["network-requests"]["details"]["items"]
    total = sum(i.get("transferSize", 0) for i in items)
    wasm = sum(i.get("transferSize", 0) for i in items if i["url"].split("?")[0].endswith(".wasm"))
    echarts = sum(i.get("transferSize", 0) for i in items if "echarts" in i["url"])
    return total, wasm, echarts


def score(report, category):
    return round(report["categories"][category]["score"] * 100)


def site_wasm():
    """The built WASM on disk, as brotli-precompressed for serving: the main module, and all
    of it (the main module and every page's lazily loaded chunks, `cargo leptos --split`)."""
    pkg = os.path.join(ROOT, "target", "site", "pkg")
    names = [n for n in os.listdir(pkg) if n.endswith(".wasm")] if os.path.isdir(pkg) else []
    if not names:
        return None
    size = lambda n: os.path.getsize(os.path.join(pkg, n))  # noqa: E731
    brotli = lambda n: size(n + ".br") if os.path.exists(os.path.join(pkg, n + ".br")) else size(n)  # noqa: E731
    main = max((n for n in names if n.startswith("costline.")), key=lambda n: os.path.getmtime(os.path.join(pkg, n)))
    return {"main_raw": size(main), "main_br": brotli(main), "files": len(names),
            "all_raw": sum(map(size, names)), "all_br": sum(map(brotli, names))}


def frontend_runs(server_cls, http, clock_start, repeat, db):
    """Lighthouse on the seeded overview, `repeat` times per preset, then accessibility on
    every dashboard page once."""
    if not os.path.exists(LIGHTHOUSE):
        return None
    server = server_cls(db)
    try:
        company = seed_month(http, server.base, clock_start)
        overview = f"{server.base}/companies/{company}"
        runs = {"desktop": [], "mobile": []}
        for _ in range(repeat):
            for preset in runs:
                r = lighthouse(overview, preset, ["performance", "accessibility"])
                runs[preset].append({"performance": score(r, "performance"), "accessibility": score(r, "accessibility"),
                                     "weight": weight(r), "tti_ms": r["audits"]["interactive"]["numericValue"],
                                     "lcp_ms": r["audits"]["largest-contentful-paint"]["numericValue"]})
        pages = {}
        for page in PAGES:
            path = page.replace("{a}", company)
            r = lighthouse(server.base + path, "desktop", ["accessibility"])
            failed = [ref["id"] for ref in r["categories"]["accessibility"]["auditRefs"]
                      if ref["weight"] > 0 and r["audits"][ref["id"]]["score"] == 0]
            pages[page] = (score(r, "accessibility"), failed)
        return {"runs": runs, "pages": pages, "wasm": site_wasm()}
    finally:
        server.stop()


def frontend_report(res):
    if res is None:
        return ["", "## Dashboard weight", "", "Not measured: run `npm install` in end2end/ (Lighthouse)."]
    med = lambda runs, f: statistics.median(f(r) for r in runs)  # noqa: E731
    lines = ["", "## Dashboard weight (overview of a seeded month, cold load, Lighthouse 12.2.3, Debian Chromium)", "",
             "| Preset | Performance | Accessibility | Transferred | of it WASM | of it ECharts | Time to interactive | LCP |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for preset, runs in res["runs"].items():
        lines.append(f"| {preset} | {med(runs, lambda r: r['performance']):.0f} | {med(runs, lambda r: r['accessibility']):.0f} "
                     f"| {med(runs, lambda r: r['weight'][0]) / 1024:,.0f} KiB | {med(runs, lambda r: r['weight'][1]) / 1024:,.0f} KiB "
                     f"| {med(runs, lambda r: r['weight'][2]) / 1024:,.0f} KiB | {med(runs, lambda r: r['tti_ms']) / 1000:.1f} s "
                     f"| {med(runs, lambda r: r['lcp_ms']) / 1000:.1f} s |")
    a11y = ", ".join(f"{p} {s}" + (f" ({', '.join(failed)})" if failed else "") for p, (s, failed) in res["pages"].items())
    lines += ["", f"Accessibility (desktop) per dashboard page: {a11y}."]
    w = res["wasm"]
    if w:
        lines.append(f"Release WASM on disk (brotli, as served): the main module {w['main_br'] / 1024:,.0f} KiB "
                     f"({w['main_raw'] / 1024:,.0f} KiB raw); with every page's chunks, {w['files']} files, "
                     f"{w['all_br'] / 1024:,.0f} KiB ({w['all_raw'] / 1024:,.0f} KiB raw). A page loads the main "
                     "module and its own chunks: the overview's are the WASM column above.")
    return lines


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run  # noqa: E402

    tmp = tempfile.mkdtemp(prefix="costline-frontend-")
    result = frontend_runs(run.Server, run.http, run.CLOCK_START, run.REPEAT, f"sqlite:{tmp}/frontend.db")
    print("\n".join(frontend_report(result)))
    print(json.dumps(result), file=sys.stderr)
