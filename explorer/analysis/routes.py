"""The routes a question needs, read once from the store, and which sessions are full feeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from explorer.analysis.definitions import Definitions, Window
from explorer.store.cache import cache_of
from explorer.store.queries import files_stamp, paths_stamp

US = 1_000_000
OPEN = np.int64(2**62)          # end of a route still held at the end of the data


@dataclass(frozen=True)
class Routes:
    """Route intervals of the scope overlapping the window, as instant-index ranges [a, b)."""

    session: np.ndarray
    prefix: np.ndarray
    rank: np.ndarray            # position of the prefix in the scope's sorted prefix ids
    path: np.ndarray
    a: np.ndarray               # first instant index the route covers
    b: np.ndarray               # first instant index it no longer covers (the count when it outlasts the window)
    origin: np.ndarray          # origin AS of the path, -1 when it ends in an AS_SET


def fetch_routes(con, prefix_ids: np.ndarray, window: Window) -> Routes:
    """Intervals with start <= the last instant and end > the first; a route covers instant t when
    start <= t < end (microseconds), so [a, b) = [ceil((start - t0) / step), ceil((end - t0) / step)),
    clipped to [0, k] (DuckDB's // truncates, so the ceiling is (x + step - 1) // step, exact for
    x > -step and clipped to 0 below)."""
    k, t0, step = window.count, window.start * US, window.step * US
    scope = pa.table({"pid": pa.array(prefix_ids, pa.int64()),  # noqa: F841  (read by DuckDB below)
                      "rank": pa.array(np.arange(len(prefix_ids)), pa.int32())})
    r = con.execute("""
        SELECT session_id, rank, path_id,
               greatest(0, least($k, (epoch_us(start_ts) - $t0 + $step - 1) // $step))::INTEGER AS a,
               coalesce(greatest(0, least($k, (epoch_us(end_ts) - $t0 + $step - 1) // $step)), $k)::INTEGER AS b
        FROM intervals JOIN scope ON prefix_id = pid
        WHERE start_ts <= make_timestamp($hi) AND (end_ts IS NULL OR end_ts > make_timestamp($t0))""",
                    {"k": k, "t0": t0, "step": step, "hi": t0 + (k - 1) * step}).fetchnumpy()
    path = np.asarray(r["path_id"], np.int64)
    rank = np.asarray(r["rank"], np.int64)
    return Routes(np.asarray(r["session_id"], np.int64), np.asarray(prefix_ids, np.int64)[rank], rank, path,
                  np.asarray(r["a"], np.int64), np.asarray(r["b"], np.int64), path_origins(con)[path])


def path_origins(con) -> np.ndarray:
    """Origin AS per path_id (-1: none), kept in the store's cache while the store gains no paths."""
    stamp = paths_stamp(con)

    def build() -> np.ndarray:
        r = con.execute("SELECT path_id, coalesce(origin_asn::BIGINT, -1) AS o FROM paths").fetchnumpy()
        out = np.full((stamp[1] or 0) + 1, -1, np.int64)
        out[np.asarray(r["path_id"], np.int64)] = r["o"]
        return out

    return cache_of(con).get("path_origins", stamp, build)


def table_sizes(con, window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(session, collector rank, af, prefixes held in the window) for every session, kept in the
    store's cache per window while the store's files are the same.

    The count is DuckDB's HyperLogLog estimate (``approx_count_distinct``, within about 2%): exact
    counting over tens of millions of intervals takes seconds, and the rules compare sizes in shares.
    """
    def build():
        r = con.execute("""
            SELECT i.session_id, dense_rank() OVER (ORDER BY s.collector) AS c, p.af, approx_count_distinct(i.prefix_id) AS n
            FROM intervals i JOIN prefixes p USING (prefix_id) JOIN sessions s USING (session_id)
            WHERE i.start_ts <= make_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?))
            GROUP BY i.session_id, s.collector, p.af""", [window.end * US, window.start * US]).fetchnumpy()
        return tuple(np.asarray(r[c], dtype=np.int64) for c in ("session_id", "c", "af", "n"))

    return cache_of(con).get(("table_sizes", window.start, window.end), files_stamp(con), build)


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
