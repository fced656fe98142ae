"""Arrays derived from a store's rows, kept in the store itself so that a later process (the window
opened again, a command) reads them instead of computing them again.

Table ``derived_arrays`` (key, stamp, made_at, value): ``value`` is a NumPy ``.npz`` of plain arrays
(read with ``allow_pickle=False``: a store from elsewhere cannot make this program run code), kept
while ``stamp`` (``queries.files_stamp``) is the store's: an import changes the stamp, and every
entry of an older stamp is dropped at the next write. The table is made at the first write, so a
store without it is read as before; a read-only store (or one another program holds for writing)
is answered by computing, and nothing is written. A damaged entry is computed again.
"""

from __future__ import annotations

import io
from typing import Callable

import duckdb
import numpy as np

from explorer.store.kept_files import drop_stale_files

TABLE = "derived_arrays"
MAX_ENTRIES = 64


def kept_arrays(con, key: str, stamp, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``build()`` returns, read from the store when it kept them under ``key`` for this
    ``stamp``; otherwise built, and kept when the store can be written."""
    stamp_text = repr(tuple(stamp))
    try:
        row = con.execute(f"SELECT value FROM {TABLE} WHERE key = ? AND stamp = ?", [key, stamp_text]).fetchone()
    except duckdb.CatalogException:
        row = None
    if row is not None:
        try:
            with np.load(io.BytesIO(row[0]), allow_pickle=False) as z:
                return {name: z[name] for name in z.files}
        except (ValueError, OSError, EOFError):
            pass
    value = build()
    _keep(con, key, stamp_text, value)
    return value


def _keep(con, key: str, stamp_text: str, value: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in value.items()})
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.Error:
        return                          # (inside the caller's transaction: not the place)
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key VARCHAR, stamp VARCHAR, made_at TIMESTAMP, value BLOB)")
        con.execute(f"DELETE FROM {TABLE} WHERE key = ? OR stamp <> ?", [key, stamp_text])
        con.execute(f"""DELETE FROM {TABLE} WHERE key IN (SELECT key FROM {TABLE} ORDER BY made_at DESC
                        OFFSET {MAX_ENTRIES - 1})""")
        con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, now()::TIMESTAMP, ?)", [key, stamp_text, buf.getvalue()])
        con.execute("COMMIT")
    except duckdb.Error:                # read-only, or a write of another thread in the way: only not kept
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass


def drop_stale(con, stamp) -> int:
    """Drop the entries of other stamps than ``stamp`` (after an import, before the store is
    compacted: they would never be read again), and the views kept beside the store
    (``store.kept_files``). Returns how many went."""
    gone = drop_stale_files(con, stamp)
    try:
        return gone + con.execute(f"DELETE FROM {TABLE} WHERE stamp <> ?", [repr(tuple(stamp))]).fetchone()[0]
    except duckdb.CatalogException:
        return gone
