"""Query speed on a large store (issue 13): visibility --by total, events and graph --at.

    python bench/query.py --store PATH [--country CC ...] [--no-largest] [--days 7] [--runs 3]

The store is one of real size, built by ``python bench/scale.py --elements 200M --collectors 3
--days 8 --slot-minutes 5 --store PATH`` (the real files of ../shared/data/mrt, time-shifted). The
window starts at the day of its first complete RIB dump and lasts 7 days at a 5-minute step; the
scopes are the store's largest country (by prefixes) and any named with --country.

For each query, a fresh process opens the store read-only and runs what the command runs
(``visibility_table``, ``find_events``, ``graph_document``, the graph at the window's middle) once
cold, then ``--runs`` times warm (the best is printed), then prints its peak resident memory. Then the
whole command once more as a user runs it (``bgp-explorer ...``, a new process, output discarded).
Floors: warm under 1 s, peak memory under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WARM_FLOOR = 1.0
MEMORY_FLOOR = 4e9

CHILD = r"""
import json, resource, sys, time
from explorer.analysis import Definitions, Window
from explorer.cli.analysis import Question, graph_document, visibility_table, _visibility
from explorer.analysis.events import find_events
from explorer.store import Store

path, query, country, start, end, step, runs = sys.argv[1:]
start, end, step, runs = int(start), int(end), int(step), int(runs)
q = Question(dict(country=country, prefixes=None, origin=None), Window(start, end, step), Definitions())
times = []
with Store(path, read_only=True) as s, s.reader() as con:
    for _ in range(1 + runs):
        t = time.perf_counter()
        if query == "visibility":
            header, cols, rows = visibility_table(con, q, "total")
            size = len(rows)
        elif query == "events":
            size = len(find_events(con, _visibility(con, q)))
        else:
            doc = graph_document(con, q.scope, (start + end) // 2)
            size = len(doc["edges"])
        times.append(time.perf_counter() - t)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"times": times, "size": size, "rss": rss}))
"""

COMMANDS = {
    "visibility": lambda c, v: ["visibility", "--country", c, "--start", str(v.start), "--end", str(v.end),
                                "--step", str(v.step), "--by", "total"],
    "events": lambda c, v: ["events", "--country", c, "--start", str(v.start), "--end", str(v.end),
                            "--step", str(v.step), "--format", "json"],
    "graph": lambda c, v: ["graph", "--country", c, "--at", str((v.start + v.end) // 2)],
}
WHAT = {"visibility": "rows", "events": "events", "graph": "edges"}


def measure(store: Path, view, country: str, query: str, runs: int) -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, str(store), query, country, str(view.start), str(view.end),
                          str(view.step), str(runs)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        print(f"  {query}: failed: {out.stderr.strip().splitlines()[-1:]}")
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    cold, warm = r["times"][0], min(r["times"][1:])
    argv = [sys.executable, "-m", "explorer", *COMMANDS[query](country, view), "--store", str(store)]
    t = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    whole = time.perf_counter() - t
    status = "" if done.returncode == 0 else f" (exit {done.returncode}: {done.stderr.strip()[:120]})"
    print(f"  {query:10s} cold {cold:6.2f} s, warm {warm:6.2f} s (floor {WARM_FLOOR:.0f} s: "
          f"{'ok' if warm < WARM_FLOOR else 'OVER'}), peak {r['rss'] / 1e9:5.2f} GB (floor 4 GB: "
          f"{'ok' if r['rss'] < MEMORY_FLOOR else 'OVER'}); {r['size']:,} {WHAT[query]}; "
          f"the whole command in a new process {whole:.2f} s{status}")


def main() -> None:
    from scale_view import describe

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="a large store (bench/scale.py --store PATH)")
    ap.add_argument("--country", action="append", default=[], help="another country to measure (repeatable)")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", default="visibility,events,graph")
    ap.add_argument("--no-largest", action="store_true", help="measure only the --country scopes")
    args = ap.parse_args()
    if not args.store.exists():
        raise SystemExit(f"no store at {args.store}: build one with python bench/scale.py --store {args.store}")
    view = describe(args.store, days=args.days)
    print(view.line())
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    for country in ([] if args.no_largest else [view.country]) + args.country:
        n = view.prefixes if country == view.country else describe(args.store, country, args.days).prefixes
        print(f"{country} ({n:,} prefixes):")
        for query in args.queries.split(","):
            measure(args.store, view, country, query, args.runs)


if __name__ == "__main__":
    main()
