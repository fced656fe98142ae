"""Ingest speed, as ratios to references measured in the same run on the same real files.

    python bench/ingest.py [FILE_OR_FOLDER ...]      (default: ../shared/data/mrt)

Prints elements per second of
  (a) the bare parser (pybgpkit-parser) iterating the files and reading the fields we store,
  (b) our ingest into a fresh store with one job,
  (c) with two jobs,
  (d) `bgpdump -m > /dev/null`, when installed,
and the store's bytes per element beside the compressed files'. Floors: (b) >= 0.8 x (a),
(c) >= 1.5 x (a) on two cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.ingest.pipeline import discover, ingest  # noqa: E402
from explorer.store import Store  # noqa: E402


def bare_parser(files: list[Path]) -> int:
    import pybgpkit_parser

    n = 0
    for f in files:
        for e in pybgpkit_parser.Parser(url=str(f)):
            e.timestamp, e.elem_type, e.peer_ip, e.peer_asn, e.prefix, e.as_path, e.communities
            n += 1
    return n


def our_ingest(files: list[Path], jobs: int) -> tuple[int, int]:
    folder = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        path = Path(folder) / "bench.duckdb"
        with Store(path) as store:
            list(ingest(store, files, jobs=jobs))
            n = store.con.execute("SELECT count(*) FROM elements").fetchone()[0]
            store.con.execute("CHECKPOINT")
        return n, path.stat().st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bgpdump(files: list[Path]) -> int | None:
    exe = shutil.which("bgpdump")
    if not exe:
        return None
    for f in files:
        subprocess.run([exe, "-m", str(f)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return 0


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main(argv: list[str]) -> int:
    default = ROOT / ".." / "shared" / "data" / "mrt"
    targets = argv or [str(default)]
    if not argv and not default.exists():
        print(f"{default} is absent: name files to benchmark on")
        return 0
    files = discover(targets)
    gz_bytes = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {gz_bytes / 1e6:.1f} MB compressed, {os.cpu_count()} cores")

    n_ref, t_ref = timed(bare_parser, files)
    rate_ref = n_ref / t_ref
    print(f"(a) bare parser          {n_ref:>10,} elements {t_ref:7.2f} s {rate_ref:>10,.0f} el/s   1.00 x (a)")
    (n1, size1), t1 = timed(our_ingest, files, 1)
    print(f"(b) ingest, 1 job        {n1:>10,} elements {t1:7.2f} s {n1 / t1:>10,.0f} el/s   "
          f"{n1 / t1 / rate_ref:.2f} x (a)   floor 0.80")
    (n2, size2), t2 = timed(our_ingest, files, 2)
    print(f"(c) ingest, 2 jobs       {n2:>10,} elements {t2:7.2f} s {n2 / t2:>10,.0f} el/s   "
          f"{n2 / t2 / rate_ref:.2f} x (a)   floor 1.50")
    done, t4 = timed(bgpdump, files)
    if done is None:
        print("(d) bgpdump              not installed")
    else:
        print(f"(d) bgpdump -m           {n_ref:>10,} elements {t4:7.2f} s {n_ref / t4:>10,.0f} el/s   "
              f"{n_ref / t4 / rate_ref:.2f} x (a)")
    print(f"store: {size1 / n1:.1f} bytes/element ({size1 / 1e6:.1f} MB, with intervals and indexes); "
          f"compressed MRT: {gz_bytes / n_ref:.1f} bytes/element")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
