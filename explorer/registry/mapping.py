"""Which country a prefix or an AS belongs to for a given window, and what an AS is called.

The mapping in force for a window: for each registry, the newest imported delegation file dated on
or before the window's start; addresses and ASes none of them covers fall back to the built-in
mapping (``iptocc`` for addresses; for ASes, the country of an imported AS-names file). A prefix
belongs to the country of its first address. ``Mapping.source`` says in words which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib.metadata import version as _version

import numpy as np

from explorer.store.cache import cache_of
from explorer.store.derived import kept_arrays
from explorer.store.ids import dotted_quads
from explorer.store.prefix_index import PrefixIndex
from explorer.store.queries import files_stamp


@lru_cache(maxsize=None)
def version(package: str) -> str:
    return _version(package)


@dataclass(frozen=True)
class Mapping:
    file_ids: tuple[int, ...]
    source: str


def mapping_for(con, start_s: int) -> Mapping:
    day = datetime.fromtimestamp(start_s, tz=timezone.utc).date()
    rows = con.execute("""
        SELECT file_id, registry, file_date, path FROM (
            SELECT *, row_number() OVER (PARTITION BY registry ORDER BY file_date DESC, file_id DESC) AS r
            FROM registry_files WHERE kind = 'delegation' AND file_date <= ?)
        WHERE r = 1 ORDER BY registry""", [day]).fetchall()
    builtin = f"built-in iptocc {version('iptocc')}"
    if not rows:
        return Mapping((), builtin)
    files = ", ".join(f"{reg} delegation file of {d} ({path.rsplit('/', 1)[-1]})" for _, reg, d, path in rows)
    return Mapping(tuple(r[0] for r in rows), f"{files}; elsewhere {builtin}")


def prefix_countries(con, index: PrefixIndex, mapping: Mapping) -> np.ndarray:
    """Country code per prefix_id (object array; None where no mapping knows the address).

    Kept in the store's cache for the current prefix index and mapping.
    """
    return cache_of(con).get(("prefix_countries", mapping.file_ids), id(index), lambda: _kept(con, index, mapping))


def _kept(con, index: PrefixIndex, mapping: Mapping) -> np.ndarray:
    """``_prefix_countries``, kept in the store for the next process (``store.derived``; 0.5 s for
    700,000 prefixes): codes as text, '' for none; for the store's files, the mapping's registry
    files and iptocc's version."""
    def build():
        codes = _prefix_countries(con, index, mapping)
        return {"codes": np.array(["" if c is None else c for c in codes.tolist()], dtype=str)}

    key = f"prefix_countries {','.join(map(str, mapping.file_ids))} iptocc {version('iptocc')}"
    codes = kept_arrays(con, key, files_stamp(con), build)["codes"]
    out = codes.astype(object)
    out[codes == ""] = None
    return out


def _prefix_countries(con, index: PrefixIndex, mapping: Mapping) -> np.ndarray:
    out = np.full(len(index), None, dtype=object)
    known = np.zeros(len(index), bool)
    if mapping.file_ids:
        for af in (4, 6):
            r = con.execute(f"""
                SELECT lo, hi, cc FROM registry_ranges WHERE af = ? AND file_id IN ({_ids(mapping)})
                ORDER BY lo""", [af]).fetchnumpy()
            sel = np.nonzero(index.af == af)[0]
            if not len(r["lo"]) or not len(sel):
                continue
            lo, hi = r["lo"].astype(np.uint64), r["hi"].astype(np.uint64)
            pos = np.searchsorted(lo, index.lo[sel], side="right") - 1
            hit = (pos >= 0) & (index.lo[sel] <= hi[np.maximum(pos, 0)])
            out[sel[hit]] = r["cc"][pos[hit]]
            known[sel[hit]] = True
    rest = np.nonzero(~known & (index.af > 0))[0]
    if len(rest):
        import iptocc

        out[rest] = iptocc.country_code(_first_addresses(index, rest))
    return out


def _first_addresses(index: PrefixIndex, rows: np.ndarray) -> list[str]:
    """The first address of each prefix as text: IPv4 from the network number (host bits cleared)."""
    first = np.empty(len(rows), dtype=object)
    is4 = index.af[rows] == 4
    first[is4] = dotted_quads(index.lo[rows[is4]].astype(np.int64)).to_numpy(zero_copy_only=False)
    first[~is4] = [t[:t.find("/")] for t in index.texts(rows[~is4])]
    return first.tolist()


def _ids(mapping: Mapping) -> str:
    return ", ".join(str(int(i)) for i in mapping.file_ids)


def as_countries(con, asns, mapping: Mapping) -> dict[int, str | None]:
    """AS -> country: delegation records in force, else an imported AS-names file's country."""
    asns = sorted({int(a) for a in asns})
    out: dict[int, str | None] = dict.fromkeys(asns)
    if not asns:
        return out
    if mapping.file_ids:
        for asn, cc in con.execute(f"""
                SELECT a.asn, r.cc FROM (SELECT unnest(?::UBIGINT[]) AS asn) a
                JOIN registry_asns r ON a.asn BETWEEN r.lo AND r.hi
                WHERE r.file_id IN ({_ids(mapping)})""", [asns]).fetchall():
            out[int(asn)] = cc
    for asn, cc in con.execute("""
            SELECT asn, arg_max(cc, file_id) FROM as_names
            WHERE cc IS NOT NULL AND asn IN (SELECT unnest(?::UBIGINT[])) GROUP BY asn""", [asns]).fetchall():
        if out.get(int(asn)) is None:
            out[int(asn)] = cc
    return out


def as_names(con, asns) -> dict[int, str | None]:
    """AS -> name from the newest imported AS-names or AS-to-organisation file that names it."""
    asns = sorted({int(a) for a in asns})
    out: dict[int, str | None] = dict.fromkeys(asns)
    if not asns:
        return out
    for asn, name in con.execute("""
            SELECT n.asn, arg_max(n.name, n.file_id) FROM as_names n
            WHERE n.asn IN (SELECT unnest(?::UBIGINT[])) GROUP BY n.asn""", [asns]).fetchall():
        out[int(asn)] = name
    return out
