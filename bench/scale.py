"""Ingest at scale: a store of 100 M elements built from real files moved in time, 10 M at a time.

    python bench/scale.py [--elements 100M] [--collectors 3] [--days N] [--slot-minutes 15] [--jobs 1]
                          [--backend NAME] [--store PATH] [--keep DIR] [--chunk 10M]

Builds a scale set (``explorer.demo.scale``: copies of the real files of ../shared/data/mrt with
every time moved, laid out as RIS and RouteViews archives: a RIB dump at the start of each day,
an update file per slot, the 2015 full table once a day per collector) in a temporary folder, or
DIR with ``--keep``, and prints how long that took. Then it ingests the files in time order
through the command's own path (``explorer.ingest.pipeline.ingest(store, paths, jobs=N)``), in
chunks of about 10 M elements, printing for each chunk: the store's elements so far, the chunk's
elements per second, and the store's bytes per element after a CHECKPOINT. At the end: the last
chunk's rate against the first's; issue 10's floor is 0.80 (the rate at the end within 20% of
the start).

``--days``: 7, or as many as the layout needs to hold ``--elements`` (3 collectors at 15-minute
slots hold 10.3 M elements a day: 100 M take 10 days, 200 M 20; at 5-minute slots, 26.3 M a day).
``--store PATH`` keeps the store for bench/query.py and bench/ui.py (both take ``--store``); it
must not exist yet. The set is copies of real data moved in time, not measurements of those days.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.demo.scale import DATA, build_scale_set, capacity, plan_scale_set  # noqa: E402


def count(text: str) -> int:
    """100M, 10m, 500k, 2500000."""
    text = text.strip().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def chunks(files, size: int) -> list[list]:
    """Consecutive runs of files (in time order) of about ``size`` elements each; a short rest
    (under half a chunk) joins the last run, so that no chunk's rate is measured on a few files."""
    runs, run, n = [], [], 0
    for f in files:
        run.append(f)
        n += f.elements
        if n >= size:
            runs.append(run)
            run, n = [], 0
    if run and runs and n < size / 2:
        runs[-1] += run
    elif run:
        runs.append(run)
    return runs


def days_for(args, per_day: int) -> int:
    """--days, else 7 or the days that hold --elements (a day's mix varies a little: add one if short)."""
    if args.days:
        return args.days
    days = max(7, -(-args.elements // per_day))
    try:
        plan_scale_set(".", args.collectors, days, slot_minutes=args.slot_minutes, target_elements=args.elements)
    except ValueError:
        days += 1
    return days


def build(folder: Path, args, days: int):
    started = time.perf_counter()
    shown = [0.0]

    def progress(done: int, total: int, elements: int) -> None:
        if time.perf_counter() - shown[0] > 5 or done == total:
            shown[0] = time.perf_counter()
            print(f"  writing {done:,}/{total:,} files, {elements / 1e6:.1f} M elements", flush=True)

    files = build_scale_set(folder, args.collectors, days, slot_minutes=args.slot_minutes,
                            target_elements=args.elements, jobs=args.jobs, progress=progress)
    took = time.perf_counter() - started
    size = sum(f.path.stat().st_size for f in files)
    elements = sum(f.elements for f in files)
    per_cd = Counter((f.collector, f.start // 86400) for f in files)
    print(f"set: {len(files):,} files ({max(per_cd.values())} per collector-day, {len(per_cd)} collector-days), "
          f"{elements:,} elements, {size / 1e9:.2f} GB gzip ({size / elements:.1f} bytes/element), "
          f"{when(files[0].start)} .. {when(files[-1].start)}; written in {took:.0f} s "
          f"({elements / took / 1e6:.2f} M elements/s)", flush=True)
    return files


def when(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%m-%d %H:%M")


def ingest_chunks(store_path: Path, files, args) -> int:
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    options = {"jobs": args.jobs}
    if args.backend:
        options["backend"] = args.backend
    rates: list[float] = []
    bad: dict[str, int] = {}
    failed = False
    with Store(store_path) as store:
        before = 0
        print(f"{'elements':>13} {'chunk el/s':>11} {'bytes/el':>9} {'files':>6} {'ingest s':>9} "
              f"{'checkpoint s':>13}  files' slots (UTC)")
        for run in chunks(files, args.chunk):
            t = time.perf_counter()
            for o in ingest(store, [f.path for f in run], **options):
                status = getattr(o, "status", None)
                failed = failed or getattr(o, "failed", False)
                if status is not None and status != "ok":
                    bad[status] = bad.get(status, 0) + 1
                    if bad[status] <= 3:
                        print(f"  {status}: {o.path}: {o.reason or o.error or ''}", flush=True)
            took = time.perf_counter() - t
            t = time.perf_counter()
            store.con.execute("CHECKPOINT")
            checkpoint = time.perf_counter() - t
            now = store.con.execute("SELECT count(*) FROM elements").fetchone()[0]
            rates.append((now - before) / took)
            print(f"{now:>13,} {rates[-1]:>11,.0f} {store_path.stat().st_size / max(now, 1):>9.1f} "
                  f"{len(run):>6,} {took:>9.1f} {checkpoint:>13.1f}  {when(run[0].start)} .. {when(run[-1].start)}",
                  flush=True)
            before = now
    if bad:
        print("files not ok: " + ", ".join(f"{n:,} {s}" for s, n in bad.items()))
    if len(rates) > 1:
        ratio = rates[-1] / rates[0]
        print(f"last chunk / first chunk: {ratio:.2f} x (issue 10's floor: 0.80, {'ok' if ratio >= 0.8 else 'UNDER'})")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", type=count, default=count("100M"), help="elements to build and ingest (100M)")
    ap.add_argument("--collectors", type=int, default=3)
    ap.add_argument("--days", type=int, default=0, help="days of archives (default: 7, or as many as --elements need)")
    ap.add_argument("--slot-minutes", type=int, default=15, help="minutes between update files (15)")
    ap.add_argument("--jobs", type=int, default=1, help="ingest parser processes, and threads writing the set")
    ap.add_argument("--backend", help="the ingest's --backend (default: its own choice)")
    ap.add_argument("--store", type=Path, help="keep the store here (must not exist)")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="build the set in DIR and keep it")
    ap.add_argument("--chunk", type=count, default=count("10M"), help="elements per measured chunk (10M)")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: the scale set copies the real archives there")
        return 0
    if args.store and args.store.exists():
        ap.error(f"{args.store} exists: the rates need a fresh store; remove it or name another")
    t = time.perf_counter()
    per_day = capacity(args.collectors, 1, slot_minutes=args.slot_minutes)      # counts every source once
    print(f"sources counted in {time.perf_counter() - t:.0f} s: {args.collectors} collectors hold "
          f"{per_day / 1e6:.1f} M elements a day at {args.slot_minutes}-minute slots", flush=True)
    days = days_for(args, per_day)
    print(f"{args.elements:,} elements: {args.collectors} collectors x {days} days at {args.slot_minutes}-minute "
          f"slots, ingest jobs={args.jobs}, backend={args.backend or 'default'}", flush=True)
    tmp = tempfile.TemporaryDirectory(prefix="bench-scale-")
    try:
        folder = args.keep or Path(tmp.name) / "set"
        files = build(folder, args, days)
        store_path = args.store or Path(tmp.name) / "scale.duckdb"
        status = ingest_chunks(store_path, files, args)
        if args.store:
            print(f"store kept: {args.store} ({args.store.stat().st_size / 1e9:.2f} GB)")
        if args.keep:
            print(f"set kept: {args.keep}")
        return status
    finally:
        shutil.rmtree(tmp.name, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
