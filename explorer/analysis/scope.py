"""Which stored prefixes a question is about: a country, prefixes, or an origin AS.

* ``country``: the prefixes whose first address the mapping in force for the window places in
  that country (see ``explorer.registry.mapping``).
* ``prefixes``: each given prefix and its more-specifics in the store (as the filter's
  ``prefix more``), since an outage of a /22 shows in the /24s announced inside it.
* ``origin``: the prefixes routed with that origin AS by any session during the window.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from explorer.analysis.definitions import Window
from explorer.analysis.errors import AnalysisError
from explorer.registry.countries import resolve_country
from explorer.registry.mapping import mapping_for, prefix_countries
from explorer.store.prefix_index import PrefixIndex, prefix_index
from explorer.store.queries import origin_prefixes


@dataclass(frozen=True)
class Scope:
    label: str                  # 'KP', '175.45.176.0/22', 'AS131279'
    prefix_ids: np.ndarray      # int64, sorted
    index: PrefixIndex
    mapping: str                # which country mapping was used ('' when none was needed)

    def describe(self) -> str:
        return f"{self.label}: {len(self.prefix_ids):,} prefixes" + (f" (country from {self.mapping})"
                                                                      if self.mapping else "")


def resolve_scope(con, window: Window, *, country: str | None = None, prefixes=None,
                  origin: int | str | None = None) -> Scope:
    index = prefix_index(con)
    mapping = ""
    if country:
        c = resolve_country(country)
        m = mapping_for(con, window.start)
        mapping = m.source
        ids = np.nonzero(prefix_countries(con, index, m) == c.code)[0]
        label = c.code
    elif prefixes:
        ids = np.unique(np.concatenate([_more_specifics(index, p) for p in prefixes]))
        label = " ".join(prefixes)
    elif origin is not None:
        asn = _asn(origin)
        ids = index.positions(origin_prefixes(con, asn, window.start * 1_000_000, window.end * 1_000_000))
        label = f"AS{asn}"
    else:
        raise AnalysisError("name a scope: --country CC, --prefix P... or --origin ASN")
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        where = f" (country from {mapping})" if mapping else ""
        raise AnalysisError(f"no prefix of {label} in the store{where}: import archives that hold it, or check "
                            "the scope")
    return Scope(label, ids, index, mapping)


def _asn(text) -> int:
    try:
        return int(str(text).upper().removeprefix("AS"))
    except ValueError:
        raise AnalysisError(f"origin {text!r}: give an AS number such as 131279 or AS131279") from None


def _more_specifics(index: PrefixIndex, text: str) -> np.ndarray:
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise AnalysisError(f"prefix {text!r}: give a prefix such as 175.45.176.0/22") from None
    if net.version == 4:
        lo, hi = int(net.network_address), int(net.broadcast_address)
    else:
        lo, hi = int(net.network_address) >> 64, int(net.broadcast_address) >> 64
    sel = (index.af == net.version) & (index.length >= net.prefixlen) & \
          (index.lo >= np.uint64(lo)) & (index.hi <= np.uint64(hi))
    return np.nonzero(sel)[0]
