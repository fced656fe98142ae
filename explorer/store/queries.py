"""The store's read queries, named: what the analyses, the window and the exports ask of its tables.

Each takes a connection (``Store.con``, or a thread's ``Store.reader()``) and returns plain Python
values. Times come back as Unix seconds, or ``None`` when the store holds no data yet.
A query that depends on which files are kept reads the one list of kept statuses, ``KEPT``.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.store.imports import KEPT        # statuses whose content is in the store (the write path's rule)

__all__ = ["KEPT", "KEPT_SQL", "KeptFiles", "files_stamp", "kept_files", "kept_span", "kept_summary", "paths_stamp",
           "prefixes_stamp", "status_counts"]

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


# Stamps: a small answer that changes whenever the rows a derived table was built from change, so a
# cache entry built from them (``StoreCache``) is used only while they are the same.

def prefixes_stamp(con) -> tuple:
    return con.execute("SELECT count(*), max(prefix_id) FROM prefixes").fetchone()


def paths_stamp(con) -> tuple:
    return con.execute("SELECT count(*), max(path_id) FROM paths").fetchone()


def files_stamp(con) -> tuple:
    return con.execute("SELECT count(*), max(file_id), max(imported_at) FROM files").fetchone()
