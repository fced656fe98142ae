"""Schema 2 (the registry tables): migrating a real version-1 store, and registry imports in the store."""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np

from explorer.registry.files import import_registry_files
from explorer.registry.mapping import as_countries, as_names, mapping_for, prefix_countries
from explorer.store import Store
from explorer.store.prefix_index import prefix_index
from explorer.store.schema import SCHEMA_VERSION
from explorer.timeutil import parse_time
from tests.conftest import data_file
from tests.store.schema_v1 import V1_CREATE

APNIC_0214 = "registry/rir-parseapnicip__delegated-apnic-20140214.txt"
APNIC_1009 = "registry/rir2014-10-09-bestroutetb__delegated-apnic-latest"
LACNIC_1008 = "registry/rir2014-10-08-bestroutetb__delegated-lacnic-latest"
ASNAMES = "registry/pyasn__asnames.json.gz"


def test_a_version_1_store_is_migrated_with_a_backup_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_CREATE)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('created_by', 'bgp-explorer 0.1.0')")
    con.execute("INSERT INTO prefixes VALUES (1, '175.45.176.0/24', 4, 24), (2, '2001:db8::/32', 6, 32)")
    con.execute("INSERT INTO sessions VALUES (1, 'rrc00', '192.0.2.1', 3356)")
    con.execute("INSERT INTO paths VALUES (1, '3356 4837 131279', 131279)")
    con.execute("""INSERT INTO files (file_id, path, sha256, order_key, kind, collector, status, first_ts, last_ts)
                   VALUES (1, 'updates.20141222.1600.gz', 'ab', 1, 'updates', 'rrc00', 'ok',
                           TIMESTAMP '2014-12-22 16:00:00', TIMESTAMP '2014-12-22 16:05:00')""")
    con.execute("""INSERT INTO elements VALUES (TIMESTAMP '2014-12-22 16:00:00', 1, 1, 1, 1, NULL, 1, 0),
                                               (TIMESTAMP '2014-12-22 16:00:01', 1, 2, 1, 1, NULL, 1, 1),
                                               (TIMESTAMP '2014-12-22 16:01:00', 1, 1, 2, NULL, NULL, 1, 2)""")
    con.close()

    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store.migrated_from[0] == 1
        assert store.con.execute("SELECT prefix FROM prefixes ORDER BY prefix_id").fetchall() == [
            ("175.45.176.0/24",), ("2001:db8::/32",)]
        # the routes derived again from the elements: the /24 withdrawn a minute later, the /32 held
        assert store.con.execute("""
            SELECT p.prefix, i.path, i.start_ts, i.end_ts FROM intervals i JOIN prefixes p USING (prefix_id)
            ORDER BY 1""").fetchall() == [
            ("175.45.176.0/24", "3356 4837 131279", datetime(2014, 12, 22, 16), datetime(2014, 12, 22, 16, 1)),
            ("2001:db8::/32", "3356 4837 131279", datetime(2014, 12, 22, 16, 0, 1), None)]
        assert store.con.execute("SELECT collector, peer_ip, peer_asn FROM sessions").fetchall() == [
            ("rrc00", "192.0.2.1", 3356)]
        assert store.con.execute("SELECT count(*) FROM registry_files").fetchone()[0] == 0
    backup = tmp_path / "old.duckdb.schema1.bak"
    assert backup.exists()
    old = duckdb.connect(str(backup), read_only=True)
    assert old.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    assert old.execute("SELECT count(*) FROM prefixes").fetchone()[0] == 2
    old.close()


def test_the_mapping_for_a_window_is_the_newest_file_dated_on_or_before_its_start(store):
    import_registry_files(store, [data_file(APNIC_1009), data_file(APNIC_0214), data_file(LACNIC_1008)])
    again = import_registry_files(store, [data_file(APNIC_0214)])
    assert again[0][0] is None and "already imported" in again[0][1]

    before_all = mapping_for(store.con, parse_time("2014-01-01T00:00:00Z"))
    assert before_all.file_ids == () and before_all.source.startswith("built-in iptocc")
    june = mapping_for(store.con, parse_time("2014-06-01T00:00:00Z"))
    assert "apnic delegation file of 2014-02-14" in june.source and "lacnic" not in june.source
    december = mapping_for(store.con, parse_time("2014-12-22T16:15:00Z"))
    assert "apnic delegation file of 2014-10-09" in december.source
    assert "lacnic delegation file of 2014-10-08" in december.source
    assert len(december.file_ids) == 2
    # the day itself counts: a file dated 2014-10-09 is in force on 2014-10-09
    assert "2014-10-09" in mapping_for(store.con, parse_time("2014-10-09T00:00:00Z")).source


def test_kp_prefixes_and_as131279_map_to_kp_from_the_delegation_file_and_iptocc(kp2015_store):
    store = Store(kp2015_store)
    import_registry_files(store, [data_file(APNIC_1009), data_file(ASNAMES)])
    index = prefix_index(store.con)
    ids = np.nonzero(index.af > 0)[0]
    assert sorted(index.prefix[ids]) == [f"175.45.{n}.0/24" for n in range(176, 180)]
    for at in ("2014-12-22T16:15:00Z", "2014-01-01T00:00:00Z"):       # delegation file, then built-in
        countries = prefix_countries(store.con, index, mapping_for(store.con, parse_time(at)))
        assert list(countries[ids]) == ["KP"] * 4
    m = mapping_for(store.con, parse_time("2014-12-22T16:15:00Z"))
    assert as_countries(store.con, [131279, 4837], m) == {131279: "KP", 4837: "CN"}
    assert as_names(store.con, [131279])[131279] == "STAR-KP Ryugyong-dong"
    store.close()
