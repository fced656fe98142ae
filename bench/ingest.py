"""Ingest speed and store size, as ratios to references measured in the same run on the same files.

    python bench/ingest.py [--rounds N] [FILE_OR_FOLDER ...]      (default: ../shared/data/mrt)

Every figure is the best of N rounds (default 3); a round measures each of (a) to (g) once, in
turn, so a drift of the machine's speed reaches the references and ours alike. The floors are
also given round by round: ours over its reference of the same round, and their median.

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
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--rounds", type=int, default=3,
                    help="measure everything this many times, in turns, and keep each one's best time "
                         "(this machine's speed drifts by a third within an hour; default 3)")
    args = ap.parse_args(argv)
    default = ROOT / ".." / "shared" / "data" / "mrt"
    targets = args.paths or [str(default)]
    if not args.paths and not default.exists():
        print(f"{default} is absent: name files to benchmark on")
        return 0
    files = discover(targets)
    gz_bytes = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {gz_bytes / 1e6:.1f} MB compressed, {os.cpu_count()} cores; "
          f"best of {args.rounds} rounds, each measuring (a) to (g) in turn")

    has_dump, has_reader = shutil.which("bgpdump") is not None, find_bgpreader() is not None
    ours = [("(b) ours, bgpkit, 1 job", 1, "bgpkit", None),
            ("(c) ours, bgpkit, 2 jobs", 2, "bgpkit", "floor 1.50 x (a)")]
    if has_reader:
        ours += [("(f) ours, libbgpstream, 1 job", 1, "auto", None),
                 ("(g) ours, libbgpstream, 2 jobs", 2, "auto", "floor 1.00 x (d)")]
    best: dict[str, float] = {}
    rounds: dict[str, list[float]] = {}
    counts: dict[str, tuple[int, int]] = {}

    def keep(label: str, t: float) -> None:
        best[label] = min(t, best.get(label, t))
        rounds.setdefault(label, []).append(t)

    for _ in range(max(1, args.rounds)):
        n_ref, t = timed(bare_parser, files)
        keep("a", t)
        if has_dump:
            keep("d", timed(bgpdump, files)[1])
        if has_reader:
            keep("e", timed(bgpreader, files)[1])
        for label, jobs, backend, _floor in ours:
            (n, size), t = timed(our_ingest, files, jobs, backend)
            keep(label, t)
            counts[label] = (n, size)

    rate_ref = n_ref / best["a"]
    rate_dump = n_ref / best["d"] if has_dump else None

    def line(label, n, t, extra=""):
        print(f"{label:32} {n:>10,} elements {t:7.2f} s {n / t:>10,.0f} el/s   {n / t / rate_ref:5.2f} x (a)"
              + extra)

    line("(a) pybgpkit-parser, bare", n_ref, best["a"])
    if has_dump:
        line("(d) bgpdump -m", n_ref, best["d"])
    else:
        print("(d) bgpdump                      not installed")
    if has_reader:
        line("(e) bgpreader", n_ref, best["e"], f"   {best['d'] / best['e']:5.2f} x (d)" if has_dump else "")
    else:
        print("(e) bgpreader                    not installed (make bgpstream)")
    for label, _jobs, _backend, floor in ours:
        n, _size = counts[label]
        t = best[label]
        vs_dump = f"   {n / t / rate_dump:5.2f} x (d)" if rate_dump else ""
        line(label, n, t, vs_dump + (f"   {floor}" if floor else ""))
    print("the floors, round by round (ours against the reference measured minutes before it, in the same round):")
    for label, _jobs, _backend, floor in ours:
        if floor is None or (floor.endswith("(d)") and not has_dump):
            continue
        ref = "d" if floor.endswith("(d)") else "a"
        ratios = sorted(r / o for r, o in zip(rounds[ref], rounds[label]))
        print(f"  {label[:3]} / ({ref}): {', '.join(f'{x:.2f}' for x in ratios)}; median {ratios[len(ratios) // 2]:.2f}   "
              f"{floor}")
    for label, *_ in ours:
        n, size = counts[label]
        print(f"store {label[:3]}: {size / n:5.2f} bytes/element ({size / 1e6:.1f} MB) = "
              f"{size / n / (gz_bytes / n_ref):.2f} x the compressed MRT's {gz_bytes / n_ref:.2f}   floor 2.00 x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
