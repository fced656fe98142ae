"""Every stored prefix as numbers, for containment and country look-ups in numpy.

The analyses number the store's prefixes 0..n-1 in id order (which is address order within each
family, see ``explorer.store.ids``): a prefix's *position* indexes every array here, and
``ids[position]`` is its id in the store. ``positions(ids)`` goes the other way.

``lo``/``hi`` (inclusive) are the first and last address of the prefix: the IPv4 address as a
number, or the upper 64 bits of an IPv6 address (IPv6 prefixes longer than /64 are matched on
those 64 bits). The index is kept in the store's cache and built again when the store gains files.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np

from explorer.store.cache import cache_of
from explorer.store.derived import kept_arrays
from explorer.store.ids import V4_LIMIT, v4_texts
from explorer.store.queries import files_stamp, stored_prefix_ids


@dataclass(frozen=True)
class PrefixIndex:
    ids: np.ndarray      # int64, sorted: the store's prefix ids
    af: np.ndarray       # uint8: 4 or 6
    length: np.ndarray   # uint8
    lo: np.ndarray       # uint64
    hi: np.ndarray       # uint64
    v6_text: dict[int, str] = field(repr=False, default_factory=dict)     # position -> text, IPv6
    _texts: list = field(repr=False, default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions of store prefix ids (which must be in the index)."""
        return np.searchsorted(self.ids, np.asarray(ids, np.int64))

    def texts(self, positions: np.ndarray) -> list[str]:
        positions = np.asarray(positions, np.int64)
        out = [""] * len(positions)
        v4 = self.af[positions] == 4
        for i, text in zip(np.flatnonzero(v4), v4_texts(self.ids[positions[v4]])):
            out[i] = text
        for i in np.flatnonzero(~v4):
            out[i] = self.v6_text[int(positions[i])]
        return out

    @property
    def prefix(self) -> np.ndarray:
        """The text of every prefix (object array), made once when first asked for."""
        if not self._texts:
            self._texts.append(np.array(self.texts(np.arange(len(self))), dtype=object))
        return self._texts[0]


def prefix_index(con) -> PrefixIndex:
    stamp = files_stamp(con)
    return cache_of(con).get("prefix_index", stamp, lambda: _from_arrays(kept_arrays(
        con, "prefix_index", stamp, lambda: _to_arrays(_build(con)))))


def _to_arrays(index: PrefixIndex) -> dict[str, np.ndarray]:
    """The index as plain arrays (``store.derived`` keeps it so for the next process: 0.6 s to build
    for 700,000 prefixes)."""
    positions = np.array(sorted(index.v6_text), np.int64)
    return {"ids": index.ids, "af": index.af, "length": index.length, "lo": index.lo, "hi": index.hi,
            "v6_positions": positions, "v6_texts": np.array([index.v6_text[p] for p in positions.tolist()], dtype=str)}


def _from_arrays(a: dict[str, np.ndarray]) -> PrefixIndex:
    v6_text = dict(zip(a["v6_positions"].tolist(), a["v6_texts"].tolist()))
    return PrefixIndex(a["ids"], a["af"], a["length"], a["lo"], a["hi"], v6_text)


def _build(con) -> PrefixIndex:
    ids, names = stored_prefix_ids(con)
    n = len(ids)
    af = np.where(ids < V4_LIMIT, 4, 6).astype(np.uint8)
    length = np.zeros(n, np.uint8)
    lo = np.zeros(n, np.uint64)
    hi = np.zeros(n, np.uint64)
    v4 = np.flatnonzero(af == 4)
    ln = (ids[v4] & 0x3F).astype(np.uint64)
    length[v4] = ln
    address = (ids[v4] >> 6).astype(np.uint64)
    size = np.left_shift(np.uint64(1), np.uint64(32) - ln)
    net = address & ~(size - np.uint64(1))          # a prefix sent with host bits set
    lo[v4] = net
    hi[v4] = net + size - np.uint64(1)
    v6_text = {}
    for pos in np.flatnonzero(af == 6).tolist():
        text = names[int(ids[pos])]
        net6 = ipaddress.IPv6Network(text, strict=False)
        v6_text[pos] = text
        length[pos] = net6.prefixlen
        top = int(net6.network_address) >> 64
        lo[pos] = top
        hi[pos] = top + (1 << max(0, 64 - net6.prefixlen)) - 1
    return PrefixIndex(ids, af, length, lo, hi, v6_text)
