"""Routes kept together by country, so that a country's question reads its own rows only.

Every route row carries a *cluster*: the country of its prefix's first address as ``iptocc`` (the
Regional Internet Registries' delegations, inside its wheel) gives it, as a number (``code("IN")``;
0 for none). Each batch writes its ended routes sorted by cluster (``intervals.derive``; the parser sorts
a RIB dump's rows by cluster too, ``ingest.reader``), so a row group of ``routes`` holds a few
countries and DuckDB's zone maps on ``cluster`` skip the rest: the routes of India's 29,000
prefixes in a week of 200 M elements are about 2 % of the rows, read in 0.2 s instead of 1.4 s.

A query computes the clusters of its prefixes with the same function and adds ``cluster IN (...)``
to its prefix filter: the same rows, whichever country the analyst's registry puts a prefix in;
the cluster only says where to look. That holds while every row was clustered by the iptocc now
installed, which the store's ``meta`` records (``clusters``: 'iptocc 3.3.170'); rows written by
another iptocc make it 'mixed', and queries then read without the filter (always right, slower).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import duckdb
import numpy as np
import pyarrow as pa

from explorer.store.ids import V4_LIMIT, dotted_quads, v6_text

MIXED = "mixed"


def code(country: str | None) -> int:
    """A two-letter country code as a number in [33, 858] ('AA' .. 'ZZ'); 0 for none."""
    if not country or len(country) != 2 or not country.isalpha():
        return 0
    a, b = (ord(c) - 64 for c in country.upper())
    return a * 32 + b


def mapping_name() -> str:
    """What clusters rows here: 'iptocc <version>'."""
    try:
        return f"iptocc {version('iptocc')}"
    except PackageNotFoundError:        # a bundle may carry the module without its metadata
        import iptocc

        return f"iptocc {getattr(iptocc, '__version__', 'unknown')}"


def cluster_codes(ids: np.ndarray, v6_texts: dict[int, str]) -> np.ndarray:
    """The cluster of each prefix id (``v6_texts``: the text of hashed IPv6 ids, from prefix_names)."""
    import iptocc

    ids = np.asarray(ids, np.int64)
    if not len(ids):
        return np.zeros(0, np.uint16)
    first = np.empty(len(ids), dtype=object)
    v4 = ids < V4_LIMIT
    first[v4] = dotted_quads(ids[v4] >> 6).to_numpy(zero_copy_only=False)
    first[~v4] = [(v6_text(pid) or v6_texts.get(pid, "")).partition("/")[0] or "::" for pid in ids[~v4].tolist()]
    countries = iptocc.country_code(first.tolist())
    table = {c: code(c) for c in set(countries)}
    return np.array([table[c] for c in countries], np.uint16)


def store_codes(con, ids: np.ndarray) -> np.ndarray:
    """``cluster_codes`` of store prefix ids, the texts of hashed IPv6 ids read from prefix_names."""
    ids = np.asarray(ids, np.int64)
    hashed = pa.table({"pid": pa.array(ids[ids >= V4_LIMIT])})      # (IPv6 past /48: their texts are stored)
    texts = {}
    if hashed.num_rows:     # (on ``con`` itself: the ingest's transaction has just written these texts)
        con.register("_hashed", hashed)
        try:
            texts = dict(con.execute("SELECT prefix_id, prefix FROM prefix_names SEMI JOIN _hashed "
                                     "ON prefix_id = pid").fetchall())
        finally:
            con.unregister("_hashed")
    return cluster_codes(ids, texts)


def cluster_table(con, relation: str) -> pa.Table:
    """(prefix_id, cluster) of every distinct prefix of ``relation`` (a table or subquery)."""
    ids = np.asarray(con.execute(f"SELECT DISTINCT prefix_id FROM {relation} n").fetchnumpy()["prefix_id"], np.int64)
    return pa.table({"prefix_id": pa.array(ids), "cluster": pa.array(store_codes(con, ids))})


def note_writer(con) -> None:
    """Record that rows are being clustered by the iptocc installed: a store clustered by another
    becomes 'mixed' (see the module)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'clusters'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta VALUES ('clusters', ?)", [mapping_name()])
    elif row[0] not in (mapping_name(), MIXED):
        con.execute("UPDATE meta SET value = ? WHERE key = 'clusters'", [MIXED])


def usable(con) -> bool:
    """Whether a query may filter this store's routes on cluster: they have one, and every row got
    it from the iptocc installed here (a dataset's views have none)."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'clusters'").fetchall()    # (read to its end)
    except duckdb.CatalogException:         # no meta table: not a store
        return False
    return rows == [(mapping_name(),)]


def clusters_of(con, ids: np.ndarray) -> list[int] | None:
    """The sorted distinct clusters of store prefix ids; None when the store's rows cannot be
    filtered on cluster (``usable``)."""
    if not usable(con):
        return None
    return sorted(set(store_codes(con, ids).tolist()))
