"""What issue 13's benchmarks look at in a large store: its size, its largest country and a week of it.

    from scale_view import describe
    d = describe(Path("/work/scale/s200.duckdb"))     # d.elements, d.bytes, d.country, d.prefixes, d.start, ...

The scope is the country with the most prefixes in the store (each prefix's first address mapped
offline by ``iptocc``, as ``--country`` does); the window starts at the first complete RIB dump's
day and lasts 7 days (or what the data holds), at a 5-minute step.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = 86400


@dataclass(frozen=True)
class ScaleView:
    path: Path
    elements: int           # RIB entries, announcements and withdrawals of the kept files
    bytes: int
    country: str
    prefixes: int           # the country's prefixes in the store
    start: int              # Unix seconds
    end: int
    runner_up: str | None = None     # the next country by size below it
    step: int = 300

    def line(self) -> str:
        return (f"store {self.path}: {self.elements:,} elements, {self.bytes / 1e9:.2f} GB "
                f"({self.bytes / max(1, self.elements):.1f} B/element); scope {self.country} "
                f"({self.prefixes:,} prefixes), window {_iso(self.start)} to {_iso(self.end)} at {self.step} s")


def describe(path: Path, country: str | None = None, days: int = 7) -> ScaleView:
    from explorer.registry.mapping import mapping_for, prefix_countries
    from explorer.store import Store
    from explorer.store.prefix_index import prefix_index
    from explorer.store.queries import KEPT_SQL, data_span

    with Store(path, read_only=True) as s:
        con = s.con
        elements = con.execute(f"SELECT sum(rib_entries + announcements + withdrawals) FROM files "
                               f"WHERE {KEPT_SQL}").fetchone()[0] or 0
        span = data_span(con)
        first = (span.first_rib or span.first) // 1_000_000
        start = first - first % DAY
        end = min(start + days * DAY, span.last // 1_000_000)
        index = prefix_index(con)
        codes = prefix_countries(con, index, mapping_for(con, start))
        counts = Counter(c for c in codes.tolist() if c)
        if country is None:
            country = counts.most_common(1)[0][0]
    ranked = [c for c, _ in counts.most_common()]
    runner_up = next((c for c in ranked[ranked.index(country) + 1:]), None) if country in ranked else None
    return ScaleView(path, int(elements), path.stat().st_size, country, counts[country], start, end, runner_up)


def _iso(t: int) -> str:
    from explorer.timeutil import iso

    return iso(t)
