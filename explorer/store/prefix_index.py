"""Every stored prefix as numbers, for containment and country look-ups in numpy.

``lo``/``hi`` (inclusive) are the first and last address of the prefix: the IPv4 address as a
number, or the upper 64 bits of an IPv6 address (IPv6 prefixes longer than /64 are matched on
those 64 bits). Arrays are indexed by ``prefix_id``. The index is kept in the store's cache and
built again when the store gains prefixes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from explorer.store.cache import cache_of
from explorer.store.queries import prefixes_stamp


@dataclass(frozen=True)
class PrefixIndex:
    prefix: np.ndarray   # object: text, '' where no prefix has that id
    af: np.ndarray       # uint8: 4, 6, 0 for no prefix
    length: np.ndarray   # uint8
    lo: np.ndarray       # uint64
    hi: np.ndarray       # uint64

    def __len__(self) -> int:
        return len(self.af)


def prefix_index(con) -> PrefixIndex:
    stamp = prefixes_stamp(con)
    return cache_of(con).get("prefix_index", stamp, lambda: _build(con, stamp[1] or 0))


def _build(con, top: int) -> PrefixIndex:
    n = top + 1
    prefix = np.full(n, "", dtype=object)
    af = np.zeros(n, np.uint8)
    length = np.zeros(n, np.uint8)
    lo = np.zeros(n, np.uint64)
    hi = np.zeros(n, np.uint64)
    v4 = con.execute("""
        SELECT prefix_id, prefix, length,
               (split_part(prefix, '.', 1)::UBIGINT << 24) + (split_part(prefix, '.', 2)::UBIGINT << 16)
             + (split_part(prefix, '.', 3)::UBIGINT << 8) + split_part(split_part(prefix, '.', 4), '/', 1)::UBIGINT
        FROM prefixes WHERE af = 4""").fetchnumpy()
    ids = v4["prefix_id"].astype(np.int64)
    prefix[ids] = v4["prefix"]
    af[ids] = 4
    ln = v4["length"].astype(np.uint64)
    length[ids] = ln
    net = v4[list(v4)[3]].astype(np.uint64)
    size = np.left_shift(np.uint64(1), np.uint64(32) - ln)
    net = net & ~(size - np.uint64(1))          # a prefix sent with host bits set
    lo[ids] = net
    hi[ids] = net + size - np.uint64(1)
    v6 = con.execute("SELECT prefix_id, prefix, length FROM prefixes WHERE af = 6").fetchall()
    for pid, text, ln in v6:
        prefix[pid] = text
        af[pid] = 6
        length[pid] = ln
        net = int(ipaddress.IPv6Network(text, strict=False).network_address) >> 64
        lo[pid] = net
        hi[pid] = net + (1 << max(0, 64 - ln)) - 1
    return PrefixIndex(prefix, af, length, lo, hi)
