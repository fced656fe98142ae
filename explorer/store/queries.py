"""The store's read queries, named: what the analyses, the window and the exports ask of its tables.

Each takes a connection (``Store.con``, or a thread's ``Store.reader()``) and returns plain Python
values. Times come back as Unix seconds, or ``None`` when the store holds no data yet.
A query that depends on which files are kept reads the one list of kept statuses, ``KEPT``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from explorer.store.clusters import clusters_of
from explorer.store.dataset import HI, LO, days_between
from explorer.store.ids import V4_LIMIT
from explorer.store.imports import KEPT        # statuses whose content is in the store (the write path's rule)
from explorer.store.prefix_set import read_prefix_set

US = 1_000_000
OPEN = 2**62                    # end (microseconds) of a route still held at the end of the data

__all__ = ["KEPT", "KEPT_SQL", "DataSpan", "KeptFiles", "RouteRows", "data_span", "files_stamp", "kept_files",
           "first_element", "kept_span", "kept_summary", "origin_prefixes", "routes_during", "session_ids",
           "session_table_sizes", "status_counts", "stored_prefix_ids"]

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


@dataclass(frozen=True)
class DataSpan:
    """What the kept files cover, in microseconds (None when no file says)."""

    first_rib: int | None           # the snapshot of the earliest complete RIB dump (unfiltered, read whole)
    first: int | None               # the earliest element of any file
    last: int | None                # the latest element of any file


def data_span(con) -> DataSpan:
    """The earliest complete RIB dump and the first and last elements of the kept files: before the
    first, the store knows no route; after the last, it knows nothing new. A complete RIB dump is the
    one the intervals let set the state (``intervals.py``: kind rib, status ok, no filter)."""
    row = con.execute(f"""
        SELECT epoch_us(min(snapshot_ts) FILTER (WHERE kind = 'rib' AND status = 'ok' AND filter IS NULL)),
               epoch_us(min(first_ts)), epoch_us(max(last_ts))
        FROM files WHERE {KEPT_SQL}""").fetchone()
    return DataSpan(*(None if v is None else int(v) for v in row))


def first_element(con, prefix_ids: np.ndarray, hi_us: int) -> int | None:
    """The time (microseconds) of the earliest element (RIB entry, announcement or withdrawal) to
    ``prefix_ids`` at or before ``hi_us``, or None."""
    ids = pa.table({"pid": pa.array(np.asarray(prefix_ids, np.int64), pa.int64())})  # noqa: F841  (DuckDB reads it)
    where = _cluster_filter(con, prefix_ids)
    row = con.execute(f"""
        SELECT min(k) // 4 FROM (
            SELECT min(start_key) AS k FROM routes SEMI JOIN ids ON prefix_id = pid WHERE {where}start_key <= $hi
            UNION ALL
            SELECT min(start_key) FROM routes_open SEMI JOIN ids ON prefix_id = pid WHERE start_key <= $hi)""",
                      {"hi": 4 * int(hi_us) + 3}).fetchone()
    return None if row[0] is None else int(row[0])


def status_counts(con) -> dict[str, int]:
    """Files per status, every status (kept or not)."""
    return dict(con.execute("SELECT status, count(*) FROM files GROUP BY status ORDER BY status").fetchall())


def stored_prefix_ids(con) -> tuple[np.ndarray, dict[int, str]]:
    """(every prefix id in the store's routes, sorted; the text of each IPv6 one). A store keeps them as
    one compressed set (``prefix_set``), a dataset per collector (``dataset_prefix_ids``)."""
    dataset = _is_dataset(con)
    ids = None if dataset else read_prefix_set(con)
    if ids is None:             # a dataset, or a store written before the set: read them
        source = ("SELECT prefix_id FROM dataset_prefix_ids" if dataset else
                  "SELECT DISTINCT prefix_id FROM routes_open UNION SELECT DISTINCT prefix_id FROM routes")
        ids = np.asarray(con.execute(f"SELECT prefix_id FROM ({source}) ORDER BY 1").fetchnumpy()["prefix_id"],
                         np.int64)
    names = dict(con.execute("SELECT prefix_id, prefix FROM prefix_names").fetchall())
    return ids, names


def session_ids(con) -> np.ndarray:
    """Every session id, sorted: the analyses number sessions by their position here."""
    return np.asarray(con.execute("SELECT session_id FROM sessions ORDER BY 1").fetchnumpy()["session_id"], np.int64)


@dataclass(frozen=True)
class RouteRows:
    """Routes to some prefixes overlapping a span, with times in microseconds (``OPEN`` while held),
    and the announcements and withdrawals to them in a span of time (``updates``)."""

    session: np.ndarray         # the session's position among the store's (``session_ids``)
    rank: np.ndarray            # the prefix's position among the prefix ids asked for (sorted)
    path: np.ndarray            # index into ``paths``
    paths: list[str]            # distinct path texts
    start: np.ndarray
    end: np.ndarray
    update_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))    # 1 announcement, 2 withdrawal
    update_time: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))    # microseconds


def arrow_batches(con, sql: str, params=None, days: tuple[int, int] | None = None, rows: int = 1 << 20,
                  **tables: pa.Table) -> Iterator[pa.RecordBatch]:
    """A query's result as Arrow record batches of about ``rows`` rows, read as DuckDB makes them
    (no DB-API copy, and never the whole result at once): on a cursor of its own (the caller's
    connection may hold a result not read to its end), with ``tables`` registered under their
    names, and the days it reads (ordering keys, see ``_days``)."""
    cur = con.cursor()
    try:
        for name, table in tables.items():
            cur.register(name, table)
        if days is None:
            yield from cur.sql(sql, params=params).to_arrow_reader(rows)
            return
        with _days(cur, *days):
            yield from cur.sql(sql, params=params).to_arrow_reader(rows)
    finally:
        cur.close()


def routes_during(con, prefix_ids: np.ndarray, lo_us: int, hi_us: int, updates_from_us: int | None = None) -> RouteRows:
    """Routes to ``prefix_ids`` (sorted, distinct) held at some instant of [lo_us, hi_us] (start <= t <
    end), and with ``updates_from_us`` the announcements and withdrawals to them at times in
    [updates_from_us, hi_us]: one read of the tables for both.

    Each route's prefix and session come as positions (among ``prefix_ids``, among the store's
    sessions), found by DuckDB's joins as it reads: numpy's binary search of 50 M routes' ids (the
    United States' week) took 6.6-8.4 s, the joins no time the read did not already take.

    Reads the two tables on their ordering keys (microseconds * 4 + phase) and on the prefixes'
    clusters (``clusters.py``), so DuckDB's zone maps skip the row groups of other times and other
    countries; a route covers t when start_key <= 4t + 3 < end_key.
    """
    ids = np.asarray(prefix_ids, np.int64)
    scope = pa.table({"pid": pa.array(ids, pa.int64()), "prank": pa.array(np.arange(len(ids), dtype=np.int32))})
    sessions = session_ids(con)
    known = pa.table({"sid": pa.array(sessions, pa.int64()),
                      "spos": pa.array(np.arange(len(sessions), dtype=np.int32))})
    params = {"hi": 4 * int(hi_us) + 3, "lo": 4 * int(lo_us) + 3, "open": OPEN}
    where = _cluster_filter(con, prefix_ids)
    # held: 1 for a route overlapping the span; 0 for an update in its span held at no instant of it
    # (one scan of ``routes`` for both)
    held = "kind <> 2 AND end_key > $lo"
    wanted = held
    if updates_from_us is not None:
        params["from"] = 4 * int(updates_from_us)
        wanted = f"({held}) OR (kind > 0 AND start_key >= $from AND (kind = 2 OR end_key <= $lo))"
    sql = f"""
        SELECT spos, prank, CASE WHEN {held} THEN path END AS path, kind, start_key // 4 AS s,
               end_key // 4 AS e, ({held})::INTEGER AS held
        FROM routes JOIN scope ON prefix_id = pid JOIN known ON session_id = sid
        WHERE {where}start_key <= $hi AND ({wanted})
        UNION ALL
        SELECT spos, prank, path, kind, start_key // 4, $open::BIGINT, 1
        FROM routes_open JOIN scope ON prefix_id = pid JOIN known ON session_id = sid WHERE start_key <= $hi"""
    days = (min(params["lo"], params.get("from", params["lo"])), params["hi"])
    held_parts, update_parts, dictionaries = [], [], []
    for batch in arrow_batches(con, sql, params, days=days, scope=scope, known=known):
        held = batch.column("held").to_numpy() == 1
        start = batch.column("s").to_numpy()
        if updates_from_us is not None:
            kind = batch.column("kind").to_numpy().astype(np.int64)
            is_update = (kind > 0) & (start >= updates_from_us) & (start <= hi_us)
            update_parts.append((kind[is_update], start[is_update]))
        # paths encoded batch by batch before the held rows are kept (the others' are NULL), so that
        # only integer columns are filtered, in numpy, and no batch's texts outlive it (Brazil's week:
        # 15 M routes; the whole result as one Arrow table made the view's peak memory)
        path = batch.column("path").dictionary_encode()
        dictionaries.append(path.dictionary)
        index = pc.fill_null(path.indices, -1).to_numpy().astype(np.int64)
        columns = [batch.column(c).to_numpy() for c in ("spos", "prank", "e")] + [index, start]
        held_parts.append([c[held] for c in columns] if not held.all() else columns)
        del batch, path
    # one dictionary for all the batches, in the order the texts first appear (as one encoding of the
    # whole column gives): each batch's indices go through its dictionary's place in it
    every = pa.concat_arrays(dictionaries) if dictionaries else pa.array([], pa.string())
    merged = every.dictionary_encode()
    place = merged.indices.to_numpy().astype(np.int64)
    at = 0
    for part, dictionary in zip(held_parts, dictionaries):
        index = part[3]
        known = index >= 0
        index[known] = place[at + index[known]]
        at += len(dictionary)
    texts = merged.dictionary.to_pylist()
    del every, merged, dictionaries
    session, rank, end, index, start = (_concat([p[c] for p in held_parts], np.int64).astype(np.int64, copy=False)
                                        for c in range(5))
    del held_parts
    none = index < 0                        # a route with no AS path (a collector's own prefixes, in some
    if none.any():                          # RIBs): a path of no AS, not -1, which numpy reads as the last
        index[none] = len(texts)
        texts.append("")
    if updates_from_us is not None:
        update_kind = _concat([u[0] for u in update_parts], np.int64)
        update_time = _concat([u[1] for u in update_parts], np.int64)
    else:
        update_kind = update_time = np.zeros(0, np.int64)
    # Arrow's allocator keeps what the batches held for its next ones while the analyses fill
    # numpy's arrays: given back before them
    pa.default_memory_pool().release_unused()
    return RouteRows(session, rank, index, texts, start, end, update_kind, update_time)


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _cluster_filter(con, prefix_ids: np.ndarray) -> str:
    """``cluster IN (...) AND `` for the clusters of the prefixes, or '' when the store's rows cannot be
    filtered so (a dataset): the same rows either way (``clusters.py``)."""
    found = clusters_of(con, prefix_ids)
    if found is None:
        return ""
    return f"cluster IN ({', '.join(map(str, found)) or 'NULL'}) AND "


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
        # aggregated before the join with sessions (twice as fast on 175 M routes: the join was per row)
        return con.execute(f"""
            SELECT a.session_id, dense_rank() OVER (ORDER BY s.collector) AS c, a.af, a.n FROM (
                SELECT session_id, CASE WHEN prefix_id < {V4_LIMIT} THEN 4 ELSE 6 END AS af,
                       approx_count_distinct(prefix_id) AS n
                FROM (SELECT session_id, prefix_id FROM routes WHERE kind <> 2 AND start_key <= $hi AND end_key > $lo
                      UNION ALL SELECT session_id, prefix_id FROM routes_open WHERE start_key <= $hi)
                GROUP BY ALL) a
            JOIN sessions s USING (session_id)""", params).fetchnumpy()




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
