"""How long the demo takes to build, and where the time goes.

    python bench/demo.py [--sessions N] [--background N] [--collectors N] [--days D]

Builds the scenario kp-2014-12 (defaults: the demo ``--demo`` builds) into a temporary store and
prints: seconds to draw the story and write the MRT files, seconds to import them with the
normal ingest, files and elements, and the import's cost per file and per element. The files
are small and many (one per collector per 15 minutes), so the per-file cost of an import decides
the total: the build stores them 64 to a transaction (``ingest(..., together=64)``); one
transaction per file, as the command line imports, measured 47 ms a file against 2.8.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.demo.build import build_demo_store  # noqa: E402
from explorer.demo.scenario import Params  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Params()
    for name in ("sessions", "background", "collectors"):
        p.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    p.add_argument("--days", type=float, default=defaults.days)
    args = p.parse_args()
    params = replace(defaults, sessions=args.sessions, background=args.background,
                     collectors=args.collectors, days=args.days)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        stats = build_demo_store(Path(tmp) / "demo.duckdb", params, progress=progress)
        total = time.perf_counter() - started
    write = marks.get("import", started) - started
    imported = total - write
    print(f"params        {params}")
    print(f"files         {stats['files']:,} ({stats['elements']:,} elements: {stats['rib_entries']:,} RIB entries, "
          f"{stats['announcements']:,} A, {stats['withdrawals']:,} W; {stats['state_changes']} state changes)")
    print(f"story+write   {write:6.2f} s")
    print(f"import        {imported:6.2f} s  ({imported / stats['files'] * 1000:.1f} ms per file, "
          f"{stats['elements'] / imported:,.0f} elements/s)")
    print(f"total         {total:6.2f} s  (write is {write / total:.0%} of it)")


if __name__ == "__main__":
    main()
