"""Which spans of a window the store can say nothing about, so that no view reads them as an outage.

The store knows a scope's routing state from the earliest complete RIB dump (it lists every route
its sessions held then), or, with update files alone, from the scope's first element (an
announcement or withdrawal of one of its prefixes): before that, "0 prefixes visible" only means
that nothing was recorded yet. After the last element of the kept files the store knows nothing
new: what it shows there is the last state it saw. Gaps between files are not looked for.

Each such span is a ``Gap``; the events skip them (no instant in a gap counts toward an outage or
its baseline), and the timeline and the exports shade and label them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis.definitions import Window
from explorer.store.queries import US, data_span, first_element
from explorer.timeutil import when


@dataclass(frozen=True)
class Gap:
    start: int          # microseconds
    end: int
    kind: str           # 'before': state not yet known; 'after': no data after the last file
    text: str

    def as_dict(self) -> dict:
        from explorer.timeutil import iso_us

        return {"kind": self.kind, "start": iso_us(self.start), "end": iso_us(self.end), "text": self.text}


def gaps(con, prefix_ids: np.ndarray, window: Window, route_starts: np.ndarray) -> list[Gap]:
    """The spans of ``window`` whose routing state the store does not know, for the scope of
    ``prefix_ids`` (store ids) whose routes overlapping the window start at ``route_starts`` (us)."""
    t0, t1 = window.start * US, window.end * US
    span = data_span(con)
    known = [v for v in (span.first_rib, int(route_starts.min()) if len(route_starts) else None) if v is not None]
    known_from = min(known) if known else None
    if known_from is None or known_from > t0:
        # a withdrawal (or anything else) before the window's routes tells the state from then on
        first = first_element(con, prefix_ids, t1)
        if first is not None:
            known_from = first if known_from is None else min(known_from, first)
    out = []
    if known_from is None or known_from > t0:
        end = t1 if known_from is None else min(known_from, t1)
        why = ("no complete RIB dump and no element of the scope in the store" if known_from is None else
               f"no complete RIB dump before {when(known_from)} and no element of the scope before it")
        out.append(Gap(t0, end, "before", f"state unknown: {why}"))
    if span.last is not None and span.last < t1 and (known_from is None or span.last >= known_from):
        out.append(Gap(max(span.last, t0), t1, "after", f"no data after {when(span.last)}: the last state seen"))
    return [g for g in out if g.end > g.start]


def known_mask(times_us: np.ndarray, gap_list: list[Gap]) -> np.ndarray:
    """Per instant (microseconds): outside every gap. A gap holds [start, end) before the data, and
    (start, end] after it (the last element's own instant is known; the instant just after it is not)."""
    ok = np.ones(len(times_us), bool)
    for g in gap_list:
        if g.kind == "before":
            ok &= ~((times_us >= g.start) & (times_us < g.end))
        else:
            ok &= ~((times_us > g.start) & (times_us <= g.end))
    return ok
