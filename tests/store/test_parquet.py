"""The store's tables as partitioned Parquet read back the same through DuckDB."""

import duckdb

from explorer.ingest.pipeline import ingest
from explorer.store.parquet import attach_parquet, export_parquet
from tests.conftest import data_file

QUERY = """SELECT s.peer_ip, p.prefix, i.path, i.start_ts, i.end_ts FROM intervals i
           JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)
           WHERE p.prefix LIKE '175.45.17%' ORDER BY ALL"""


def test_export_partitions_and_reads_back(store, tmp_path):
    list(ingest(store, [data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")]))
    rows = export_parquet(store, tmp_path / "pq")
    assert rows["routes"] + rows["routes_open"] == 51_907 + 4_094       # bgpdump's A + W for this file
    days = sorted(p.name for p in (tmp_path / "pq" / "routes_open" / "collector=rrc23").iterdir())
    assert days == ["day=2022-04-21"]
    con = duckdb.connect()
    attach_parquet(con, tmp_path / "pq")
    assert con.execute("SELECT count(*) FROM elements").fetchone()[0] == 51_907 + 4_094
    expected = store.con.execute(QUERY).fetchall()
    assert expected and con.execute(QUERY).fetchall() == expected
