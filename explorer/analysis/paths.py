"""AS paths as the analysis reads them: prepending removed, cut at an AS_SET.

``'2914 1239 1239 4837 131279'`` -> hops (2914, 1239, 4837, 131279), complete.
``'3 4 {5,6}'`` -> hops (3, 4), not complete: edges run only up to the set, and the path names no
single origin or upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Hops:
    asns: tuple[int, ...]
    complete: bool          # False when the path ends in (or holds) an AS_SET

    @property
    def origin(self) -> int | None:
        return self.asns[-1] if self.complete and self.asns else None

    @property
    def upstream(self) -> int | None:
        return self.asns[-2] if self.complete and len(self.asns) >= 2 else None

    def edges(self) -> set[tuple[int, int]]:
        return {(a, b) for a, b in zip(self.asns, self.asns[1:]) if a != b}


def hops(path: str | None) -> Hops:
    out: list[int] = []
    for tok in (path or "").split():
        if not tok.isdigit():               # '{5,6}', '[...]' (confederation) or anything odd: stop there
            return Hops(tuple(out), False)
        asn = int(tok)
        if not out or out[-1] != asn:
            out.append(asn)
    return Hops(tuple(out), True)


_CACHE: dict[tuple[str, int], Hops] = {}


def path_hops(con, path_ids: np.ndarray) -> dict[int, Hops]:
    """Hops of each path id (parsed once per process; path ids never change meaning in a store)."""
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    ids = np.unique(path_ids)
    missing = [int(i) for i in ids if (db, int(i)) not in _CACHE]
    if missing:
        if len(_CACHE) > 5_000_000:
            _CACHE.clear()
        rows = con.execute("SELECT path_id, path FROM paths WHERE path_id IN (SELECT unnest(?::INTEGER[]))",
                           [missing]).fetchall()
        for pid, text in rows:
            _CACHE[(db, pid)] = hops(text)
    return {int(i): _CACHE.get((db, int(i)), Hops((), False)) for i in ids}
