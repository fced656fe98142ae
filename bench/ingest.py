"""Ingest speed and store size, as ratios to references measured in the same run on the same files.

    python bench/ingest.py [FILE_OR_FOLDER ...]      (default: ../shared/data/mrt)

References (each reads every file, elements go nowhere):
  (a) pybgpkit-parser, bare: iterating the files and reading each element's fields,
  (d) `bgpdump -m > /dev/null`, when installed,
  (e) libbgpstream's `bgpreader > /dev/null`, when installed (`make bgpstream`).
Ours, into a fresh store each:
  (b) pybgpkit-parser only, 1 job, (c) 2 jobs,
  (f) libbgpstream where it reads the file (the default when installed), 1 job, (g) 2 jobs.
Floors (issue 10): (c) >= 1.5 x (a); (g) >= 1.0 x (d); the store's bytes per element at most 2.0 x
the compressed MRT's.
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

from explorer.ingest.libbgpstream import find_bgpreader  # noqa: E402
from explorer.ingest.mrt_scan import first_record_kind  # noqa: E402
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


def our_ingest(files: list[Path], jobs: int, backend: str) -> tuple[int, int]:
    folder = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        path = Path(folder) / "bench.duckdb"
        with Store(path) as store:
            outcomes = [o for o in ingest(store, files, jobs=jobs, backend=backend) if hasattr(o, "status")]
            n = sum(o.record.rib_entries + o.record.announcements + o.record.withdrawals
                    for o in outcomes if o.record and o.status in ("ok", "truncated", "damaged"))
            store.con.execute("CHECKPOINT")
            store.compact()             # as `bgp-explorer ingest` does after an import
        return n, path.stat().st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bgpdump(files: list[Path]) -> bool:
    exe = shutil.which("bgpdump")
    if not exe:
        return False
    for f in files:
        subprocess.run([exe, "-m", str(f.resolve())], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    return True


def bgpreader(files: list[Path]) -> bool:
    exe = find_bgpreader()
    if not exe:
        return False
    for f in files:
        option = "rib-file" if first_record_kind(f) == "rib" else "upd-file"
        subprocess.run([exe, "-d", "singlefile", "-o", f"{option}={f.resolve()}"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return True


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

    def line(label, n, t, extra=""):
        print(f"{label:28} {n:>10,} elements {t:7.2f} s {n / t:>10,.0f} el/s   {n / t / rate_ref:5.2f} x (a)"
              + extra)

    line("(a) pybgpkit-parser, bare", n_ref, t_ref)
    done, t_dump = timed(bgpdump, files)
    rate_dump = n_ref / t_dump if done else None
    if done:
        line("(d) bgpdump -m", n_ref, t_dump)
    else:
        print("(d) bgpdump                  not installed")
    done, t_reader = timed(bgpreader, files)
    if done:
        line("(e) bgpreader", n_ref, t_reader, f"   {t_dump / t_reader:5.2f} x (d)" if rate_dump else "")
    else:
        print("(e) bgpreader                not installed (make bgpstream)")
    sizes = []
    for label, jobs, backend, floor in [("(b) ours, bgpkit, 1 job", 1, "bgpkit", None),
                                        ("(c) ours, bgpkit, 2 jobs", 2, "bgpkit", "floor 1.50 x (a)"),
                                        ("(f) ours, libbgpstream, 1 job", 1, "auto", None),
                                        ("(g) ours, libbgpstream, 2 jobs", 2, "auto", "floor 1.00 x (d)")]:
        if backend == "auto" and not done:
            continue
        (n, size), t = timed(our_ingest, files, jobs, backend)
        vs_dump = f"   {n / t / rate_dump:5.2f} x (d)" if rate_dump else ""
        line(label, n, t, vs_dump + (f"   {floor}" if floor else ""))
        sizes.append((label[:3], size, n))
    for label, size, n in sizes:
        print(f"store {label}: {size / n:5.2f} bytes/element ({size / 1e6:.1f} MB) = "
              f"{size / n / (gz_bytes / n_ref):.2f} x the compressed MRT's {gz_bytes / n_ref:.2f}   floor 2.00 x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
