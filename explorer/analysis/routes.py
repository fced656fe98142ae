"""The routes a question needs, read once from the store, and which sessions are full feeds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.definitions import Definitions, Window
from explorer.analysis.paths import origins, path_hops
from explorer.store.cache import cache_of
from explorer.store.derived import kept_arrays
from explorer.store.prefix_index import PrefixIndex
from explorer.store.queries import OPEN as _OPEN
from explorer.store.queries import US, files_stamp, routes_during, session_ids, session_table_sizes

OPEN = np.int64(_OPEN)          # end of a route still held at the end of the data


@dataclass(frozen=True)
class Updates:
    """Announcements (kind 1) and withdrawals (kind 2) to the scope, with their times (microseconds)."""

    kind: np.ndarray
    time: np.ndarray

    def per_step(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """(announcements, withdrawals) per instant t of the window, counted in the bin (t - step, t]."""
        k, t0, step = window.count, window.start * US, window.step * US
        sel = (self.time > t0 - step) & (self.time <= t0 + (k - 1) * step)
        at = -((t0 - self.time[sel]) // step)                  # ceil((t - t0) / step)
        kind = self.kind[sel]
        return tuple(np.bincount(at[kind == c], minlength=k)[:k].astype(np.int64) for c in (1, 2))

    def bins(self, lo_us: int, hi_us: int, width_us: int) -> dict[str, np.ndarray]:
        """Per bin ``floor(t / width)`` and kind, of the updates at times in [lo, hi]: ``bin``, ``kind``,
        ``n``, and the ``first`` and ``last`` time in each (as ``queries.update_bins`` gives them)."""
        sel = (self.time >= lo_us) & (self.time <= hi_us)
        t, kind = self.time[sel], self.kind[sel]
        key = (t // width_us) * 4 + kind
        order = sparse.order_by(key)
        key, t = key[order], t[order]
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else np.zeros(0, np.int64)
        ends = np.append(starts[1:], len(key)).astype(np.int64)
        return {"bin": key[starts] // 4, "kind": key[starts] % 4, "n": ends - starts,
                "first": np.minimum.reduceat(t, starts) if len(t) else t,
                "last": np.maximum.reduceat(t, starts) if len(t) else t}


@dataclass(frozen=True)
class Routes:
    """Route intervals of the scope overlapping the window, as instant-index ranges [a, b)."""

    session: np.ndarray         # the session's position among the store's (``sessions_of``)
    prefix: np.ndarray          # the prefix's position in the store's prefix index
    rank: np.ndarray            # position of the prefix in the scope's sorted prefix ids
    path: np.ndarray            # index into the paths fetched with these routes
    a: np.ndarray               # first instant index the route covers
    b: np.ndarray               # first instant index it no longer covers (the count when it outlasts the window)
    origin: np.ndarray          # origin AS of the path, -1 when it ends in an AS_SET
    hops: list = field(default_factory=list)    # per path index: its Hops
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))    # microseconds
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))      # microseconds, OPEN while held
    updates: Updates | None = None      # announcements and withdrawals from one step before the window on


def fetch_routes(con, index: PrefixIndex, prefix_ids: np.ndarray, window: Window) -> Routes:
    """Intervals with start <= the window's end and end > its start; a route covers instant t when
    start <= t < end (microseconds), so [a, b) = [ceil((start - t0) / step), ceil((end - t0) / step)),
    clipped to [0, k]. Their exact times are kept too (``start``, ``end``): events are found at the
    routing changes, whatever the step. ``prefix_ids`` are positions in ``index`` (sorted)."""
    k, t0, step = window.count, window.start * US, window.step * US
    scope_ids = index.ids[prefix_ids]          # sorted, as the positions are
    rows = routes_during(con, scope_ids, t0, window.end * US, updates_from_us=t0 - step + 1)
    rank = rows.rank
    positions = np.asarray(prefix_ids, np.int64)[rank]
    a = np.clip(-((t0 - rows.start) // step), 0, k)                     # ceil((start - t0) / step)
    b = np.where(rows.end >= OPEN, k, np.clip(-((t0 - np.minimum(rows.end, OPEN)) // step), 0, k))
    hops = path_hops(con, rows.paths)
    origin = origins(hops)
    return Routes(rows.session, positions, rank, rows.path, a.astype(np.int64),
                  b.astype(np.int64), origin[rows.path] if len(origin) else np.zeros(0, np.int64), hops,
                  np.asarray(rows.start, np.int64), np.minimum(np.asarray(rows.end, np.int64), OPEN),
                  Updates(rows.update_kind, rows.update_time))


def sessions_of(con, ids: np.ndarray) -> np.ndarray:
    """Positions of session ids among the store's sessions (sorted), the analyses' session numbers."""
    known = cache_of(con).get("session_ids", files_stamp(con), lambda: session_ids(con))
    return np.searchsorted(known, np.asarray(ids, np.int64))


def table_sizes(con, window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(session, collector rank, af, prefixes held in the window) for every session, kept in the
    store's cache per window while the store's files are the same.

    The count is DuckDB's HyperLogLog estimate (``approx_count_distinct``, within about 2%): exact
    counting over tens of millions of intervals takes seconds, and the rules compare sizes in shares.
    Even so it reads every route of the window (3-10 s on 186 M routes), so the answer is also kept
    in the store for the next process (``store.derived``).
    """
    stamp = files_stamp(con)

    def build():
        r = kept_arrays(con, sizes_key(window.start, window.end), stamp,
                        lambda: session_table_sizes(con, window.start * US, window.end * US))
        return (sessions_of(con, r["session_id"]), *(np.asarray(r[c], dtype=np.int64) for c in ("c", "af", "n")))

    return cache_of(con).get(("table_sizes", window.start, window.end), stamp, build)


def sizes_key(start: int, end: int) -> str:
    """The name under which the store keeps the table sizes of the window [start, end] (seconds)."""
    return f"table_sizes {int(start)} {int(end)}"


@dataclass(frozen=True)
class FullFeed:
    sessions: dict[int, np.ndarray]     # af -> sorted session ids
    counts: dict[int, int]              # af -> how many

    def mask(self, session: np.ndarray, af: np.ndarray) -> np.ndarray:
        top = int(session.max()) + 1 if len(session) else 1
        m = np.zeros(len(session), bool)
        for fam, ids in self.sessions.items():
            lookup = np.zeros(max(top, int(ids.max()) + 1 if len(ids) else 0), bool)
            lookup[ids] = True
            sel = af == fam
            m[sel] = lookup[session[sel]]
        return m


def full_feed(con, window: Window, defs: Definitions, routes: Routes, af_of_prefix: np.ndarray) -> FullFeed:
    session, collector, af, n = table_sizes(con, window)
    kind, _, value = defs.full_feed.partition(":")
    out, counts = {}, {}
    for fam in (4, 6):
        sel = af == fam
        s, c, size = session[sel], collector[sel], n[sel]
        largest = np.zeros(c.max() + 1 if len(c) else 1, np.int64)
        np.maximum.at(largest, c, size)
        if kind == "all":
            ok = np.ones(len(s), bool)
        elif kind == "min":
            ok = size >= int(value)
        else:
            ok = size >= float(value) * largest[c]
        scope_fam = np.nonzero(np.bincount(routes.session[af_of_prefix[routes.prefix] == fam],
                                           minlength=1))[0]
        no_table = largest[c] < defs.min_table
        ok = np.where(no_table, np.isin(s, scope_fam), ok)
        out[fam] = np.unique(s[ok])
        counts[fam] = int(len(out[fam]))
    return FullFeed(out, counts)
