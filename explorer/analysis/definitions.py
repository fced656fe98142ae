"""What the numbers mean: the time window and the definitions (full-feed rule, visibility threshold).

Definitions are data, not constants, and every output prints them (``Definitions.describe()``).

Table size of a session: the number of distinct prefixes of one address family to which it held a
route at any time in the window. A RIB dump gives the whole table at once; a store made only of
update files gives what the session announced (a session sending its full table, as after a
reset, counts in full). Measured per address family, so an IPv6-only full feed is not held against
the IPv4 table, and estimated (HyperLogLog, within about 2%) so that it stays fast on large stores.

Full-feed rule (``full_feed``):

* ``all``: every session;
* ``min:N``: sessions holding at least N prefixes of the family;
* ``share:S`` (default ``share:0.75``): sessions holding at least S times the largest table of
  that family at their collector. Works the same for 2014 tables (~520k IPv4 routes) and today's
  (~1M), since it is relative.

A collector whose largest table of a family is under ``min_table`` prefixes (default 10,000) has no
full table in the window (update files only, or a filtered import): there the sessions counted are
those that held a route to a prefix of the scope during the window.

Visibility: a prefix is visible at an instant when at least ``threshold`` (default 0.5) of the
full-feed sessions of its family hold a route to exactly that prefix (and at least one does).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from explorer.analysis.errors import AnalysisError
from explorer.timeutil import MAX_STEP, iso

MAX_INSTANTS = 1_000_000


@dataclass(frozen=True)
class Definitions:
    full_feed: str = "share:0.75"
    min_table: int = 10_000
    threshold: float = 0.5
    unit: str = "prefix"                  # what visibility counts: routes to exactly a prefix
    outage_share: float = 0.1             # events: at least this share of the baseline lost
    instability_factor: float = 5.0       # events: updates per bin above this many times the median
    instability_min: int = 10             # ... and at least this many updates in the bin
    instability_bin: int = 300            # events: the bins' width in seconds (UTC-aligned), whatever the step

    def __post_init__(self):
        kind, _, value = self.full_feed.partition(":")
        try:
            ok = (kind == "all" and not value) or (kind == "min" and int(value) >= 0) or \
                 (kind == "share" and 0 <= float(value) <= 1)
        except ValueError:
            ok = False
        if not ok:
            raise AnalysisError(f"full-feed rule {self.full_feed!r}: use all, min:N (e.g. min:400000) "
                                "or share:S (e.g. share:0.75)")
        if not 0 < self.threshold <= 1:
            raise AnalysisError(f"visibility threshold {self.threshold}: give a share in (0, 1], e.g. 0.5")
        if not isinstance(self.instability_bin, int) or not 0 < self.instability_bin <= 86400:
            raise AnalysisError(f"instability bin {self.instability_bin!r}: give seconds in 1..86400, e.g. 300")
        if not isinstance(self.min_table, int) or not 0 <= self.min_table < 2**62:
            raise AnalysisError(f"minimum table size {self.min_table}: give a count of prefixes, e.g. 10000")

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        rule = {"all": "every session", "min": "sessions with at least {} prefixes",
                "share": "sessions with at least {} of the largest table at their collector"}
        kind, _, value = self.full_feed.partition(":")
        return (f"full feed: {rule[kind].format(value)} (per address family; collectors with no table of "
                f"{self.min_table:,}+ prefixes: the sessions that routed the scope); visible: seen by "
                f">= {self.threshold:g} of full-feed sessions; unit: {self.unit}")


@dataclass(frozen=True)
class Window:
    """Instants start, start + step, ... up to end (Unix seconds, UTC)."""

    start: int
    end: int
    step: int = 300

    def __post_init__(self):
        if self.end < self.start:
            raise AnalysisError(f"the window ends ({iso(self.end)}) before it starts ({iso(self.start)})")
        if not 0 < self.step <= MAX_STEP:
            raise AnalysisError(f"step {self.step} s: give a positive step of at most {MAX_STEP:,} s, e.g. 300 or 5m")
        if self.count > MAX_INSTANTS:
            raise AnalysisError(f"{self.count:,} instants ({iso(self.start)} to {iso(self.end)} every "
                                f"{self.step} s): more than {MAX_INSTANTS:,}; use a larger --step")

    @property
    def count(self) -> int:
        return (self.end - self.start) // self.step + 1

    def instants(self):
        import numpy as np

        return self.start + self.step * np.arange(self.count, dtype=np.int64)
