"""AS paths as the analysis reads them: prepending removed, cut at an AS_SET.

``'2914 1239 1239 4837 131279'`` -> hops (2914, 1239, 4837, 131279), complete.
``'3 4 {5,6}'`` -> hops (3, 4), not complete: edges run only up to the set, and the path names no
single origin or upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.store.cache import cache_of


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


def path_hops(con, paths: list[str]) -> list[Hops]:
    """Hops of each path text, parsed once per open store (a dictionary kept in its cache)."""
    known: dict[str, Hops] = cache_of(con).get("hops", None, dict)
    if len(known) > 5_000_000:
        known.clear()
    out = []
    for text in paths:
        h = known.get(text)
        if h is None:
            h = known[text] = hops(text)
        out.append(h)
    return out


def origins(hop_list: list[Hops]) -> np.ndarray:
    """Origin AS of each path (-1: none, when it ends in an AS_SET)."""
    return np.array([h.origin if h.origin is not None else -1 for h in hop_list], np.int64)
