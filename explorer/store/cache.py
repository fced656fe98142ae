"""What the analyses derive from one open store and reuse: the prefix index, parsed AS paths, path
origins, session table sizes, prefix countries.

One ``StoreCache`` per open ``Store`` (``Store.cache``), reached from any of its readers
(``Store.reader()``), so two stores open in one process never share an entry. Each entry is kept
with a *stamp*, the answer of a named query (``explorer.store.queries``) at the time it was built:
it is used again only while the stamp is the same, so an import by the window (or by another
program, before the store was opened) is never answered from stale arrays.
"""

from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 32


class StoreCache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, object]] = {}
        self._lock = threading.Lock()       # the window's two query threads share one store

    def get(self, key: Hashable, stamp: Hashable, build: Callable[[], T]) -> T:
        """The entry ``key`` built while the store's stamp was ``stamp``; built now when there is none."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (stamp, value)
            while len(self._entries) > MAX_ENTRIES:     # the oldest first (windows once looked at)
                self._entries.pop(next(iter(self._entries)))
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache_of(con) -> StoreCache:
    """The cache of the store ``con`` reads (a ``Store.reader()``); a bare DuckDB connection gets an
    empty one of its own, so it is answered correctly, only without reuse."""
    cache = getattr(con, "cache", None)
    return cache if isinstance(cache, StoreCache) else StoreCache()
