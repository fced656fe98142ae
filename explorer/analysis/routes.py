"""The routes a question needs, read once from the store, and which sessions are full feeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis.definitions import Definitions, Window

US = 1_000_000
OPEN = np.int64(2**62)          # end of a route still held at the end of the data


@dataclass(frozen=True)
class Routes:
    """Route intervals of the scope overlapping the window; times in microseconds."""

    session: np.ndarray
    prefix: np.ndarray
    path: np.ndarray
    start: np.ndarray
    end: np.ndarray
    origin: np.ndarray          # origin AS of the path, -1 when it ends in an AS_SET


def fetch_routes(con, prefix_ids: np.ndarray, lo_s: int, hi_s: int) -> Routes:
    """Intervals with start <= hi and end > lo (lo, hi: Unix seconds)."""
    r = con.execute("""
        SELECT i.session_id, i.prefix_id, i.path_id, epoch_us(i.start_ts) AS s,
               coalesce(epoch_us(i.end_ts), ?) AS e, coalesce(p.origin_asn::BIGINT, -1) AS o
        FROM intervals i JOIN paths p USING (path_id)
        WHERE i.prefix_id IN (SELECT unnest(?::INTEGER[]))
          AND i.start_ts <= make_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?))""",
                    [int(OPEN), prefix_ids.tolist(), hi_s * US, lo_s * US]).fetchnumpy()
    return Routes(*(np.asarray(r[c], dtype=np.int64) for c in ("session_id", "prefix_id", "path_id", "s", "e", "o")))


_TABLES: dict[tuple, tuple] = {}


def table_sizes(con, window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(session, collector rank, af, prefixes held in the window) for every session, kept per process."""
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    version = con.execute("SELECT count(*), max(file_id) FROM files").fetchone()
    key = (db, version, window.start, window.end)
    if key not in _TABLES:
        r = con.execute("""
            SELECT i.session_id, dense_rank() OVER (ORDER BY s.collector) AS c, p.af, count(DISTINCT i.prefix_id) AS n
            FROM intervals i JOIN prefixes p USING (prefix_id) JOIN sessions s USING (session_id)
            WHERE i.start_ts <= make_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?))
            GROUP BY i.session_id, s.collector, p.af""", [window.end * US, window.start * US]).fetchnumpy()
        if len(_TABLES) > 8:
            _TABLES.clear()
        _TABLES[key] = tuple(np.asarray(r[c], dtype=np.int64) for c in ("session_id", "c", "af", "n"))
    return _TABLES[key]


@dataclass(frozen=True)
class FullFeed:
    sessions: dict[int, np.ndarray]     # af -> sorted session ids
    counts: dict[int, int]              # af -> how many

    def mask(self, session: np.ndarray, af: np.ndarray) -> np.ndarray:
        m = np.zeros(len(session), bool)
        for fam, ids in self.sessions.items():
            sel = af == fam
            m[sel] = np.isin(session[sel], ids)
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
        scope_fam = np.unique(routes.session[af_of_prefix[routes.prefix] == fam])
        no_table = largest[c] < defs.min_table
        ok = np.where(no_table, np.isin(s, scope_fam), ok)
        out[fam] = np.unique(s[ok])
        counts[fam] = int(len(out[fam]))
    return FullFeed(out, counts)
