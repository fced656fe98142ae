"""The store's prefix set (explorer/store/prefix_set.py) against a scan of the routes themselves, on
real files: kept batch by batch, made again when an import is replaced, and read in both forms."""

from __future__ import annotations

import zlib

import numpy as np

from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.store.prefix_set import read_prefix_set
from tests.conftest import data_file

FILES = ["mrt/bgpdump__updates.20070211.0141.gz", "mrt/dnas__rrc23.updates.20220421.0200.gz",
         "mrt/libbgpstream__ris.rrc06.updates.1427846400.gz", "mrt/bgpdump__bview.ipv6_unicast_add_path.gz"]


def scanned(con) -> np.ndarray:
    return np.asarray(con.execute("""SELECT prefix_id FROM (SELECT DISTINCT prefix_id FROM routes_open
                                     UNION SELECT DISTINCT prefix_id FROM routes) ORDER BY 1""")
                      .fetchnumpy()["prefix_id"], np.int64)


def test_the_set_is_the_routes_prefixes_batch_by_batch_and_after_a_replaced_import(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        for name in FILES:                  # one transaction a file: the set grows batch by batch
            list(ingest(s, [data_file(name)], together=1))
            got, want = read_prefix_set(s.con), scanned(s.con)
            assert len(want) > 0 and np.array_equal(got, want), name
        assert s.con.execute("SELECT n FROM prefix_set").fetchone()[0] == len(want)
        before = len(want)
        # a filtered import, then the same file whole: the filtered rows are replaced
        extra = data_file("mrt/bgpkit-rrc15__updates.20100227.1600.gz")
        list(ingest(s, [extra], filter_text="prefix more 60.0.0.0/6"))
        assert np.array_equal(read_prefix_set(s.con), scanned(s.con))
        list(ingest(s, [extra]))
        got, want = read_prefix_set(s.con), scanned(s.con)
        assert np.array_equal(got, want) and len(want) > before


def test_a_set_written_in_the_first_form_reads_the_same(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        list(ingest(s, [data_file(FILES[1])]))
        ids = read_prefix_set(s.con)
        plain = zlib.compress(np.diff(ids, prepend=0).astype("<i8").tobytes(), 6)   # the form of earlier stores
        s.con.execute("UPDATE prefix_set SET ids = ?", [plain])
        assert np.array_equal(read_prefix_set(s.con), ids) and len(ids) == len(scanned(s.con))
