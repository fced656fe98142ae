"""A scale set: days of archives from several collectors, made of real MRT files moved in time.

What it is. Copies of the real files of ``../shared/data/mrt`` with every time moved
(``explorer.demo.shift``), laid out as RIPE RIS and RouteViews lay out their archives, so that a
store of real size (hundreds of millions of elements) can be built through the normal ingest. The
routing content is real (real peers, prefixes, paths and update bursts, from 2002 to 2022); the
times are not: these are copies of real data moved in time, not measurements of the week they
are dated in, and the same routes come back every day. Benchmarks only.

Layout, per collector (RIS ``rrcNN``, RouteViews ``route-views...``; the ingest's collector
detection reads the name from the path):

* RIS:        ``rrc00/2024.06/bview.20240603.0000.gz``, ``rrc00/2024.06/updates.20240603.0015.gz``
* RouteViews: ``route-views.sg/bgpdata/2024.06/RIBS/rib.20240603.0000.gz``,
  ``route-views.sg/bgpdata/2024.06/UPDATES/updates.20240603.0015.gz``

Each day starts with a RIB dump (RIS collectors: the TABLE_DUMP bview of rrc00 2002; RouteViews:
the route-views rib of 2014, and its IPv6 rib of 2015 for ``route-views6``; the two RouteViews
dumps are their first megabyte, about 9,000 and 6,900 prefixes). Then one update file per slot
(15 minutes unless told) from 00:00, cycling through the real RIS and RouteViews update files,
except that the slot at 02:00 holds the full IPv4 table of 2015 (one session sending 577,706
prefixes as BGP4MP_ET updates), so the store has large countries (the US with 20,000+ prefixes).
A copy's first record lands at its slot (delta = slot - the source's first record time), plus
the collector's index in seconds, so that no two collectors hold the same bytes (the ingest
would skip one as "already imported"). Most real update files span 5 minutes, two span 15: at
5-minute slots those two overlap the next slots, as files never do in a real archive.

Element counts are the source's as pybgpkit-parser (the ingest's parser) reads them, counted
once per source per process.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from explorer.demo.shift import ShiftTemplate, first_timestamp

__all__ = ["BASE_DATE", "DATA", "ScaleFile", "build_scale_set", "capacity", "count_elements", "plan_scale_set"]

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mrt"
BASE_DATE = date(2024, 6, 3)            # a Monday: four weeks from it stay in June 2024
FULL_TABLE = "bgpdump__updates.et-header.2015.gz"
FULL_TABLE_AT = 2 * 3600                # the slot the full table lands in (the source's own hour, 02:01)
UPDATES = [                             # real RIS and RouteViews update files, 1,557 to 65,180 elements
    "bgpdump__updates.20020722.2238.gz", "bgpdump__updates.20070211.0141.gz",
    "bgpdump__updates.20071015.1505.gz", "bgpdump__updates.20100722.2015.gz",
    "bgpdump__updates.20160811.1600.gz", "bgpkit-rrc15__updates.20100227.1600.gz",
    "bgpkit-rrc15__updates.20100227.1610.gz", "dnas__rrc23.updates.20220421.0200.gz",
    "dnas__rrc23.updates.20220501.2305.gz", "libbgpstream__ris.rrc06.updates.1427846400.gz",
    "libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2",
]
RIBS = {"ris": "bgpdump__bview.20020722.2337.gz", "routeviews": "pyasn__rib.20140523.0600_firstMB.bz2",
        "routeviews6": "pyasn__rib6.20151101.0600_firstMB.bz2"}
COLLECTORS = ["rrc00", "route-views.sg", "route-views6", "rrc01", "route-views.eqix", "rrc03",
              "route-views.linx", "rrc04", "route-views.wide", "rrc05", "route-views.isc", "rrc06"]

# progress(files written, files planned, elements written)
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class ScaleFile:
    path: Path
    collector: str
    kind: str           # "rib" | "updates"
    source: str         # the real file it copies
    start: int          # the slot its name gives, Unix seconds
    delta: int          # seconds every time of the source moved by
    elements: int       # the source's elements


@functools.cache
def _count(path: str, size: int, mtime: int) -> int:
    import pybgpkit_parser

    return sum(1 for _ in pybgpkit_parser.Parser(url=path))


def count_elements(path: str | os.PathLike) -> int:
    """Elements of a file as pybgpkit-parser reads them; counted once per file per process."""
    st = os.stat(path)
    return _count(os.fspath(path), st.st_size, st.st_mtime_ns)


def _style(collector: str) -> str:
    if collector.startswith("rrc"):
        return "ris"
    return "routeviews6" if collector == "route-views6" else "routeviews"


def _name(folder: Path, collector: str, kind: str, t: int) -> Path:
    when = datetime.fromtimestamp(t, timezone.utc)
    stamp, month = when.strftime("%Y%m%d.%H%M"), when.strftime("%Y.%m")
    if _style(collector) == "ris":
        return folder / collector / month / f"{'bview' if kind == 'rib' else 'updates'}.{stamp}.gz"
    if kind == "rib":
        return folder / collector / "bgpdata" / month / "RIBS" / f"rib.{stamp}.gz"
    return folder / collector / "bgpdata" / month / "UPDATES" / f"updates.{stamp}.gz"


def _layout(collectors: int, days: int, base_date: date, slot_minutes: int):
    """(slot time, collector index, kind, source name) in the order of time, then collector."""
    if not 1 <= collectors <= len(COLLECTORS):
        raise ValueError(f"collectors must be 1 to {len(COLLECTORS)}")
    if slot_minutes < 1 or 1440 % slot_minutes or FULL_TABLE_AT % (slot_minutes * 60):
        raise ValueError("slot_minutes must divide two hours (and so the day): 1, 2, 3, 4, 5, 6, 10, 15, ...")
    base = int(datetime(base_date.year, base_date.month, base_date.day, tzinfo=timezone.utc).timestamp())
    step = slot_minutes * 60
    turn = list(range(collectors))          # each collector's place in the cycle of update files
    for day in range(days):
        start = base + day * 86400
        for c in range(collectors):
            yield start, c, "rib", RIBS[_style(COLLECTORS[c])]
        for t in range(start, start + 86400, step):
            for c in range(collectors):
                if t - start == FULL_TABLE_AT:
                    yield t, c, "updates", FULL_TABLE
                else:
                    yield t, c, "updates", UPDATES[turn[c] % len(UPDATES)]
                    turn[c] += 1


def plan_scale_set(folder: str | os.PathLike, collectors: int = 3, days: int = 7, *,
                   base_date: date = BASE_DATE, slot_minutes: int = 15, target_elements: int | None = None,
                   data: str | os.PathLike = DATA) -> list[ScaleFile]:
    """The files ``build_scale_set`` writes, in time order, without writing them.

    With ``target_elements`` the plan ends at the first file that reaches it; a target the layout
    cannot hold is refused, saying what it holds.
    """
    folder, data = Path(folder), Path(data)
    missing = [n for n in {FULL_TABLE, *UPDATES, *RIBS.values()} if not (data / n).exists()]
    if missing:
        raise FileNotFoundError(f"{data}: the real files the scale set copies are absent ({', '.join(sorted(missing))})")
    first: dict[str, int] = {}
    plan: list[ScaleFile] = []
    total = 0
    for t, c, kind, source in _layout(collectors, days, base_date, slot_minutes):
        if source not in first:
            first[source] = first_timestamp(data / source)
        n = count_elements(data / source)
        plan.append(ScaleFile(_name(folder, COLLECTORS[c], kind, t), COLLECTORS[c], kind, source, t,
                              t - first[source] + c, n))
        total += n
        if target_elements is not None and total >= target_elements:
            return plan
    if target_elements is not None:
        raise ValueError(f"{collectors} collectors x {days} days at {slot_minutes}-minute slots hold {total:,} "
                         f"elements, fewer than {target_elements:,}: ask for more days or collectors, or "
                         f"shorter slots")
    return plan


def capacity(collectors: int = 3, days: int = 1, *, slot_minutes: int = 15, data: str | os.PathLike = DATA) -> int:
    """Elements that ``collectors`` x ``days`` of the layout hold."""
    return sum(f.elements for f in plan_scale_set(Path("."), collectors, days, slot_minutes=slot_minutes, data=data))


def build_scale_set(folder: str | os.PathLike, collectors: int = 3, days: int = 7, *,
                    base_date: date = BASE_DATE, slot_minutes: int = 15, target_elements: int | None = None,
                    data: str | os.PathLike = DATA, jobs: int = 1,
                    progress: Progress | None = None) -> list[ScaleFile]:
    """Write the scale set into ``folder``; return its files in time order with their elements.

    These are copies of real data moved in time (see the module's docstring), not measurements
    of the days they are dated in. Each source is read once (``ShiftTemplate``); ``jobs`` threads
    write copies (zlib and numpy work outside Python's lock). Each file is written under a hidden
    name and renamed when complete; a file already there is overwritten (one source and one delta
    always give the same bytes).
    """
    plan = plan_scale_set(folder, collectors, days, base_date=base_date, slot_minutes=slot_minutes,
                          target_elements=target_elements, data=data)
    templates = {name: ShiftTemplate(Path(data) / name) for name in {f.source for f in plan}}
    written = elements = 0

    def write(f: ScaleFile) -> ScaleFile:
        templates[f.source].write(f.path, f.delta)
        return f

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for f in pool.map(write, plan):
            written += 1
            elements += f.elements
            if progress:
                progress(written, len(plan), elements)
    return plan
