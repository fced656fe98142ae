"""The dataset ingest on Dask against the single-process ingest, in one run on this machine.

    python bench/distributed.py [--scale COLLECTORSxDAYS] [--workers 1,2] [--keep DIR]

Ingests the real files of ../shared/data/mrt (read in place) four ways, each into a fresh folder:
``explorer.ingest.pipeline.ingest`` into a store (one process, jobs=1, then jobs=2), then
``ingest_dataset`` on a LocalCluster of 1 and of 2 worker processes (127.0.0.1; the cluster's
start is timed apart). For each: files per second and elements per second over the whole run, and
for the dataset runs the decode phase (a task per file) and the derivation (day passes and
stitches) apart, with the ratio of the whole run to the single-process ingest's.

``--scale 1x2``: also a scale set (``explorer.demo.scale``: real files moved in time, a RIB dump
each day and an update file every 15 minutes per collector) of that many collectors and days,
built in a temporary folder first: routes carried across midnight and RIB dumps that reset them,
as a real archive has. Its per-worker rates are the ones the README's model of a year uses.

The last lines print what a window reads (EXPLAIN ANALYZE over the dataset: files opened of the
files there).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file's own folder first on the path would make `import distributed` import this file.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

DATA = ROOT.parent / "shared" / "data" / "mrt"


def elements_of(outcomes) -> tuple[int, int]:
    kept = [o for o in outcomes if getattr(o, "record", None) is not None and o.status in ("ok", "truncated", "damaged")]
    return len(kept), sum(o.record.rib_entries + o.record.announcements + o.record.withdrawals for o in kept)


def local(paths, folder: Path, jobs: int) -> dict:
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    started = time.perf_counter()
    with Store(folder / f"store-{jobs}.duckdb") as store:
        outcomes = [e for e in ingest(store, paths, jobs=jobs) if hasattr(e, "status")]
    return {"seconds": time.perf_counter() - started, "outcomes": outcomes}


def dataset(paths, folder: Path, workers: int) -> dict:
    import distributed

    from explorer.ingest.dataset import Derived, ingest_dataset

    t0 = time.perf_counter()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        startup = time.perf_counter() - t0
        started = time.perf_counter()
        outcomes, derived, last = [], None, started
        for event in ingest_dataset(folder / f"dataset-{workers}", paths, client=client):
            if isinstance(event, Derived):
                derived = event
            else:
                outcomes.append(event)
                last = time.perf_counter()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "decode": last - started, "derive": derived.elapsed_s, "rows": derived.rows,
            "days": derived.days, "collectors": derived.collectors, "startup": startup, "outcomes": outcomes}


def report(label: str, paths, folder: Path, workers: list[int]) -> dict:
    print(f"\n== {label}: {len(paths)} files")
    runs = {}
    for jobs in (1, 2):
        r = runs[f"store jobs={jobs}"] = local(paths, folder, jobs)
        files, elements = elements_of(r["outcomes"])
        print(f"single-process ingest into a store, jobs={jobs}: {r['seconds']:.1f} s, {files / r['seconds']:.1f} files/s, "
              f"{elements / r['seconds']:,.0f} elements/s ({files} files, {elements:,} elements)")
    base = runs["store jobs=1"]["seconds"]
    for n in workers:
        r = runs[f"dataset {n}"] = dataset(paths, folder, n)
        files, elements = elements_of(r["outcomes"])
        print(f"dataset, {n} worker(s): {r['seconds']:.1f} s ({files / r['seconds']:.1f} files/s, "
              f"{elements / r['seconds']:,.0f} elements/s; {base / r['seconds']:.2f} x the single-process ingest); "
              f"decode {r['decode']:.1f} s ({elements / r['decode']:,.0f} elements/s, "
              f"{elements / r['decode'] / n:,.0f} a worker), derive {r['derive']:.1f} s ({r['days']} days of "
              f"{r['collectors']} collectors, {r['rows'] / r['derive']:,.0f} rows/s); cluster start {r['startup']:.1f} s")
    return runs


def explain(folder: Path) -> None:
    import numpy as np
    import pyarrow as pa

    from explorer.store.dataset import DatasetStore
    from explorer.store.queries import _days

    with DatasetStore(folder) as ds:
        con = ds.cursor()
        lo, hi = con.execute("SELECT min(start_key), max(start_key) FROM routes_open").fetchone()
        con.register("scope", pa.table({"pid": pa.array(np.asarray(con.execute(
            "SELECT prefix_id FROM dataset_prefix_ids").fetchnumpy()["prefix_id"]), pa.int64())}))
        for name, (a, b) in (("one hour at the end", (hi - 4 * 3600 * 10**6, hi)),
                             ("everything", (lo, hi))):
            with _days(con, a, b):
                plan = con.execute("""EXPLAIN ANALYZE SELECT count(*) FROM routes SEMI JOIN scope ON prefix_id = pid
                                      WHERE start_key <= $hi AND end_key > $lo""", {"lo": a, "hi": b}).fetchall()[0][1]
            flat = re.sub(r"[│\s]+", " ", plan)
            scans = re.findall(r"Scanning Files: (\d+)/(\d+)|Total Files Read: (\d+)", flat)
            scans = [f"{a}/{b}" if b else f"all {c}" for a, b, c in scans]
            read = re.search(r"Data Read: ([\d.]+ \w+)", flat)
            print(f"EXPLAIN ANALYZE, routes over {name}: files opened per scan {scans} (days, checkpoints); "
                  f"data read {read.group(1).strip() if read else '?'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", help="also a scale set of COLLECTORSxDAYS, e.g. 1x2")
    p.add_argument("--workers", default="1,2")
    p.add_argument("--keep", help="keep the stores and datasets in this folder")
    args = p.parse_args()
    if not DATA.is_dir():
        sys.exit(f"bench/distributed.py: {DATA} is absent: it reads the real archives of ../shared/data in place")
    workers = [int(n) for n in args.workers.split(",")]
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bgp-explorer-bench-dist-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        paths = sorted(DATA.iterdir())
        report(f"the real files of {DATA}", paths, folder / "real", workers)
        explain(folder / "real" / f"dataset-{workers[-1]}")
        if args.scale:
            from explorer.demo.scale import build_scale_set

            collectors, days = (int(v) for v in args.scale.lower().split("x"))
            t = time.perf_counter()
            files = build_scale_set(folder / "scale-set", collectors, days, jobs=2)
            print(f"\nscale set: {collectors} collector(s) x {days} day(s), {len(files)} files, "
                  f"{sum(f.elements for f in files):,} elements, built in {time.perf_counter() - t:.1f} s")
            report(f"scale set {args.scale}", [f.path for f in files], folder / "scale", workers)
            explain(folder / "scale" / f"dataset-{workers[-1]}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
