"""Clusters (explorer/store/clusters.py): every route carries the country its prefix was first stored
under, a batch's routes are written in cluster order, and a schema-3 store gains them by migration
without a route changing."""

from __future__ import annotations

import ipaddress

import duckdb
import iptocc
import pytest

from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.store.clusters import MIXED, code, usable
from tests.conftest import data_file

FILES = ["mrt/bgpdump__bview.20020722.2337.gz", "mrt/bgpkit-rrc15__updates.20100227.1600.gz",
         "mrt/manrs__namex-bgpd-rib-inet6.mrt"]


def test_codes_are_two_letters_as_numbers():
    assert code("KP") == 11 * 32 + 16 == 368         # K is the 11th letter, P the 16th
    assert code("us") == code("US") == 21 * 32 + 19
    assert code(None) == code("") == code("EU1") == 0


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    path = tmp_path_factory.mktemp("clusters") / "c.duckdb"
    with Store(path) as store:
        outcomes = [o for o in ingest(store, [data_file(f) for f in FILES]) if hasattr(o, "status")]
    assert [o.status for o in outcomes] == ["ok"] * len(FILES)
    return path


def test_every_route_carries_the_country_of_its_prefix(imported):
    con = duckdb.connect(str(imported), read_only=True)
    rows = con.execute("""
        SELECT p.prefix, r.cluster FROM (SELECT DISTINCT prefix_id, cluster FROM routes) r
        JOIN prefixes p USING (prefix_id)""").fetchall()
    con.close()
    assert len(rows) > 200 and len({p for p, _ in rows}) == len(rows)     # one cluster a prefix
    texts = [str(ipaddress.ip_network(p, strict=False).network_address) for p, _ in rows]
    expected = [code(c) for c in iptocc.country_code(texts)]
    assert [c for _, c in rows] == expected
    assert len({c for _, c in rows}) >= 10


def test_a_batch_is_written_in_cluster_order(imported):
    con = duckdb.connect(str(imported), read_only=True)
    # the three files went in as one batch: clusters never go down along the table's rows
    drops = con.execute("""SELECT count(*) FILTER (WHERE down), count(*) FROM (
                               SELECT cluster < lag(cluster) OVER (ORDER BY rowid) AS down FROM routes)""").fetchone()
    con.close()
    assert drops[0] == 0 and drops[1] > 1_000


def _routes(path) -> list:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute("SELECT session_id, prefix_id, kind, start_key, end_key, path, file_id, seq "
                                  "FROM routes UNION ALL SELECT session_id, prefix_id, kind, start_key, end_key, "
                                  "path, file_id, seq FROM routes_open").fetchall(), key=repr)
    finally:
        con.close()


def test_a_schema_3_store_gains_clusters_and_keeps_every_route(imported, tmp_path):
    old = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(old))
    con.execute(f"ATTACH '{imported}' AS src (READ_ONLY)")
    con.execute("COPY FROM DATABASE src TO v3")
    con.execute("DETACH src")
    con.execute("ALTER TABLE routes DROP COLUMN cluster")          # what schema 3 had: no cluster
    con.execute("DELETE FROM meta WHERE key = 'clusters'")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    before = _routes(old)
    with Store(old) as store:
        assert store.migrated_from[0] == 3 and store.schema_version == 4
        assert usable(store.con)
    assert _routes(old) == before
    con = duckdb.connect(str(old), read_only=True)
    migrated = con.execute("SELECT prefix_id, cluster FROM routes ORDER BY ALL").fetchall()
    con.close()
    con = duckdb.connect(str(imported), read_only=True)
    fresh = con.execute("SELECT prefix_id, cluster FROM routes ORDER BY ALL").fetchall()
    con.close()
    assert migrated == fresh
    assert (tmp_path / "v3.duckdb.schema3.bak").exists()


def test_rows_clustered_by_another_iptocc_are_read_without_the_filter(imported, tmp_path, monkeypatch):
    """A store whose rows another iptocc clustered is 'mixed': the same answers, read without the filter."""
    import explorer.store.clusters as clusters
    from explorer.store.queries import routes_during, session_ids

    # (a route's session and prefix come as positions: the sessions' ids and the prefix ids asked
    # for name them, and the import below adds sessions)
    def key(con, r):
        return set(zip(session_ids(con)[r.session].tolist(), ids[r.rank].tolist(), r.start.tolist()))

    with Store(imported, read_only=True) as store:
        ids = store.con.execute("SELECT DISTINCT prefix_id FROM routes ORDER BY 1 LIMIT 500").fetchnumpy()
        ids = ids["prefix_id"]
        before = routes_during(store.con, ids, 0, 4 * 10**15)
        before_key = key(store.con, before)
    monkeypatch.setattr(clusters, "mapping_name", lambda: "iptocc 0.0.1")
    copy = tmp_path / "m.duckdb"
    copy.write_bytes(imported.read_bytes())
    with Store(copy) as store:
        [o for o in ingest(store, [data_file("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz")])]
        assert store.con.execute("SELECT value FROM meta WHERE key = 'clusters'").fetchone()[0] == MIXED
        monkeypatch.undo()
        assert not usable(store.con)
        after = routes_during(store.con, ids, 0, 4 * 10**15)
        after_key = key(store.con, after)
    assert len(before.start) > 500
    assert before_key <= after_key
