"""The set of prefix ids the store holds, kept as one compressed array so that a reader has it at
once (the distinct prefix ids of a 200-million-row store take seconds to scan).

Sorted ids, as deltas of little-endian 64-bit integers, zlib-compressed: about 1 byte a prefix
(690,000 prefixes: 0.7 MB). Written in the same transaction as the rows that bring new prefixes
(``imports.store_batch``); made again from the routes when rows go (a replaced import).
"""

from __future__ import annotations

import zlib

import numpy as np

CREATE = "CREATE TABLE prefix_set (ids BLOB, n BIGINT);"


def encode(ids: np.ndarray) -> bytes:
    return zlib.compress(np.diff(np.asarray(ids, np.int64), prepend=0).astype("<i8").tobytes(), 6)


def decode(blob: bytes) -> np.ndarray:
    return np.cumsum(np.frombuffer(zlib.decompress(blob), dtype="<i8")).astype(np.int64)


def read_prefix_set(con) -> np.ndarray | None:
    """The store's prefix ids, sorted; None when the store keeps no set (then scan the routes)."""
    if not _exists(con):
        return None
    row = con.execute("SELECT ids FROM prefix_set LIMIT 1").fetchone()
    return decode(row[0]) if row else np.zeros(0, np.int64)


def add_prefixes(con, ids: np.ndarray) -> None:
    """Add ``ids`` to the set (inside the caller's transaction); writes only when some are new."""
    known = read_prefix_set(con)
    ids = np.unique(np.asarray(ids, np.int64))
    if known is None:
        return
    new = np.setdiff1d(ids, known, assume_unique=True)
    if len(new):
        _write(con, np.union1d(known, new))


def rebuild_prefix_set(con) -> None:
    """The set made from the routes themselves."""
    ids = con.execute("""SELECT prefix_id FROM (SELECT DISTINCT prefix_id FROM routes_open
                         UNION SELECT DISTINCT prefix_id FROM routes) ORDER BY 1""").fetchnumpy()["prefix_id"]
    _write(con, np.asarray(ids, np.int64))


def _write(con, ids: np.ndarray) -> None:
    con.execute("DELETE FROM prefix_set")
    con.execute("INSERT INTO prefix_set VALUES (?, ?)", [encode(ids), len(ids)])


def _exists(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'prefix_set' "
                            "AND schema_name = 'main'").fetchone()[0])
