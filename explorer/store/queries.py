"""The store's read queries, named: what the analyses, the window and the exports ask of its tables.

Each takes a connection (``Store.con``, or a thread's ``Store.reader()``) and returns plain Python
values. Times come back as Unix seconds, or ``None`` when the store holds no data yet.
A query that depends on which files are kept reads the one list of kept statuses, ``KEPT``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from explorer.store.dataset import HI, LO, days_between
from explorer.store.ids import V4_LIMIT
from explorer.store.imports import KEPT        # statuses whose content is in the store (the write path's rule)

US = 1_000_000
OPEN = 2**62                    # end (microseconds) of a route still held at the end of the data

__all__ = ["KEPT", "KEPT_SQL", "KeptFiles", "RouteRows", "files_stamp", "kept_files", "kept_span", "kept_summary",
           "origin_prefixes", "routes_during", "session_ids", "session_table_sizes", "status_counts",
           "stored_prefix_ids", "update_counts"]

# the condition on ``files`` that selects them, for queries written here and in summary.py
KEPT_SQL = "status IN (" + ", ".join(f"'{s}'" for s in KEPT) + ")"


def kept_files(con) -> list[tuple[str, str]]:
    """(path, sha256) of every imported file whose content is in the store, in import order."""
    return con.execute(f"SELECT path, sha256 FROM files WHERE {KEPT_SQL} ORDER BY imported_at, file_id").fetchall()


def kept_span(con) -> tuple[float | None, float | None]:
    """(first, last) element time of the kept files, Unix seconds with their fraction (the instant just
    after the last element still counts); (None, None) for an empty store."""
    return con.execute(f"SELECT epoch(min(first_ts)), epoch(max(last_ts)) FROM files WHERE {KEPT_SQL}").fetchone()


@dataclass(frozen=True)
class KeptFiles:
    """What the kept files are, for status bars and provenance footers."""

    files: int
    backends: list[str]
    collectors: list[str]
    first: int | None               # Unix seconds
    last: int | None
    sessions: int


def kept_summary(con) -> KeptFiles:
    files, backends, collectors, first, last = con.execute(f"""
        SELECT count(*), list_sort(list(DISTINCT backend)), list_sort(list(DISTINCT collector)),
               epoch(min(first_ts))::BIGINT, epoch(max(last_ts))::BIGINT
        FROM files WHERE {KEPT_SQL}""").fetchone()
    sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    return KeptFiles(files, [b for b in backends or [] if b], [c for c in collectors or [] if c], first, last,
                     sessions)


def status_counts(con) -> dict[str, int]:
    """Files per status, every status (kept or not)."""
    return dict(con.execute("SELECT status, count(*) FROM files GROUP BY status ORDER BY status").fetchall())


def stored_prefix_ids(con) -> tuple[np.ndarray, dict[int, str]]:
    """(every prefix id in the store's routes, sorted; the text of each IPv6 one). A dataset keeps
    them per collector (``dataset_prefix_ids``) rather than scanning every day."""
    source = ("SELECT DISTINCT prefix_id FROM routes_open UNION SELECT DISTINCT prefix_id FROM routes"
              if not _is_dataset(con) else "SELECT prefix_id FROM dataset_prefix_ids")
    ids = con.execute(f"SELECT prefix_id FROM ({source}) ORDER BY 1").fetchnumpy()["prefix_id"]
    names = dict(con.execute("SELECT prefix_id, prefix FROM prefix_names").fetchall())
    return np.asarray(ids, np.int64), names


def session_ids(con) -> np.ndarray:
    """Every session id, sorted: the analyses number sessions by their position here."""
    return np.asarray(con.execute("SELECT session_id FROM sessions ORDER BY 1").fetchnumpy()["session_id"], np.int64)


@dataclass(frozen=True)
class RouteRows:
    """Routes to some prefixes overlapping a span, with times in microseconds (``OPEN`` while held)."""

    session_id: np.ndarray
    prefix_id: np.ndarray
    path: np.ndarray            # index into ``paths``
    paths: list[str]            # distinct path texts
    start: np.ndarray
    end: np.ndarray


def routes_during(con, prefix_ids: np.ndarray, lo_us: int, hi_us: int) -> RouteRows:
    """Routes to ``prefix_ids`` held at some instant of [lo_us, hi_us] (start <= t < end).

    Reads the two tables on their ordering keys (microseconds * 4 + phase), so DuckDB's zone maps
    skip the row groups of other times; a route covers t when start_key <= 4t + 3 < end_key.
    """
    scope = pa.table({"pid": pa.array(np.asarray(prefix_ids, np.int64), pa.int64())})  # noqa: F841  (DuckDB reads it)
    params = {"hi": 4 * int(hi_us) + 3, "lo": 4 * int(lo_us) + 3, "open": OPEN}
    with _days(con, params["lo"], params["hi"]):
        table = con.execute("""
        SELECT session_id, prefix_id, path, start_key // 4 AS s, end_key // 4 AS e
        FROM routes SEMI JOIN scope ON prefix_id = pid
        WHERE kind <> 2 AND start_key <= $hi AND end_key > $lo
        UNION ALL
        SELECT session_id, prefix_id, path, start_key // 4, $open::BIGINT FROM routes_open SEMI JOIN scope ON prefix_id = pid
        WHERE start_key <= $hi""", params).to_arrow_table()
    path = table.column("path").combine_chunks().dictionary_encode()
    return RouteRows(table.column("session_id").to_numpy(), table.column("prefix_id").to_numpy(),
                     path.indices.to_numpy(zero_copy_only=False).astype(np.int64), path.dictionary.to_pylist(),
                     table.column("s").to_numpy(), table.column("e").to_numpy())


def origin_prefixes(con, asn: int, lo_us: int, hi_us: int) -> np.ndarray:
    """Ids of the prefixes some session routed with origin ``asn`` (the path's last AS) during
    [lo_us, hi_us], sorted."""
    params = {"hi": 4 * int(hi_us) + 3, "lo": 4 * int(lo_us) + 3, "last": f"% {int(asn)}", "only": str(int(asn))}
    with _days(con, params["lo"], params["hi"]):
        r = con.execute("""
            SELECT DISTINCT prefix_id FROM (
                SELECT prefix_id, path FROM routes WHERE kind <> 2 AND start_key <= $hi AND end_key > $lo
                UNION ALL SELECT prefix_id, path FROM routes_open WHERE start_key <= $hi)
            WHERE path LIKE $last OR path = $only ORDER BY 1""", params).fetchnumpy()
    return np.asarray(r["prefix_id"], np.int64)


def session_table_sizes(con, lo_us: int, hi_us: int) -> dict:
    """Per session and address family, the distinct prefixes it held in [lo_us, hi_us] (DuckDB's
    HyperLogLog estimate), with its collector's rank among the collectors: columns session_id, c, af, n."""
    params = {"hi": 4 * int(hi_us) + 3, "lo": 4 * int(lo_us) + 3}
    with _days(con, params["lo"], params["hi"]):
        return con.execute(f"""
            SELECT r.session_id, dense_rank() OVER (ORDER BY s.collector) AS c,
                   CASE WHEN r.prefix_id < {V4_LIMIT} THEN 4 ELSE 6 END AS af, approx_count_distinct(r.prefix_id) AS n
            FROM (SELECT session_id, prefix_id FROM routes WHERE kind <> 2 AND start_key <= $hi AND end_key > $lo
                  UNION ALL SELECT session_id, prefix_id FROM routes_open WHERE start_key <= $hi) r
            JOIN sessions s USING (session_id)
            GROUP BY r.session_id, s.collector, af""", params).fetchnumpy()


def update_counts(con, prefix_ids: np.ndarray, t0_us: int, step_us: int, count: int) -> dict:
    """Announcements and withdrawals to ``prefix_ids`` in each bin (t - step, t] of the instants
    t0, t0 + step, ... (``count`` of them): columns bin, kind, n."""
    ids = pa.table({"pid": pa.array(np.asarray(prefix_ids, np.int64), pa.int64())})  # noqa: F841  (read by DuckDB)
    params = {"t0": t0_us, "step": step_us, "lo": 4 * (t0_us - step_us) + 3, "hi": 4 * (t0_us + (count - 1) * step_us) + 3}
    with _days(con, params["lo"], params["hi"]):
        return con.execute("""
            SELECT (start_key // 4 - $t0 + $step - 1) // $step AS bin, kind, count(*) AS n
            FROM (SELECT prefix_id, kind, start_key FROM routes WHERE kind > 0 AND start_key > $lo AND start_key <= $hi
                  UNION ALL
                  SELECT prefix_id, kind, start_key FROM routes_open WHERE kind > 0 AND start_key > $lo AND start_key <= $hi)
            SEMI JOIN ids ON prefix_id = pid
            GROUP BY ALL""", params).fetchnumpy()


@contextmanager
def _days(con, lo_key: int, hi_key: int) -> Iterator[None]:
    """The days a windowed query reads (ordering keys ``lo_key`` to ``hi_key``). A dataset's views
    read the partitions of these days only (``explorer.store.dataset``); a store's tables ignore
    the two variables, which are the connection's own (each thread reads through its own cursor)."""
    lo, hi = days_between(lo_key, hi_key)
    con.execute(f"SET VARIABLE {LO} = DATE '{lo.isoformat()}'")
    con.execute(f"SET VARIABLE {HI} = DATE '{hi.isoformat()}'")
    try:
        yield
    finally:
        con.execute(f"RESET VARIABLE {LO}")
        con.execute(f"RESET VARIABLE {HI}")


def _is_dataset(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'dataset_prefix_ids'")
                .fetchone()[0])


# Stamps: a small answer that changes whenever the rows a derived table was built from change, so a
# cache entry built from them (``StoreCache``) is used only while they are the same.

def files_stamp(con) -> tuple:
    return con.execute("SELECT count(*), max(file_id), max(imported_at) FROM files").fetchone()
