"""Store.compact: a store copied into a fresh file holds exactly what it held, in fewer bytes, and a
compaction that cannot finish leaves the store as it was."""

from __future__ import annotations

import os

import duckdb
import pytest

from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.store.store import BLOCK_SIZE
from tests.conftest import data_file

FILES = ["mrt/bgpdump__bview.20020722.2337.gz", "mrt/bgpdump__updates.20020722.2238.gz",
         "mrt/bgpkit-rrc15__updates.20100227.1600.gz", "mrt/bgpkit-rrc15__updates.20100227.1610.gz"]


def _fingerprint(path) -> dict:
    """Per table: its row count and an order-free hash of every row; and the next file id."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out = {t: con.execute(f"SELECT count(*), sum(hash(t)) FROM {t} t").fetchone() for t in tables}
        out["_next_file_id"] = con.execute("SELECT start_value FROM duckdb_sequences() "
                                           "WHERE sequence_name = 'file_ids'").fetchone()
        out["_intervals"] = con.execute("SELECT count(*), sum(hash(i)) FROM intervals i").fetchone()
        return out
    finally:
        con.close()


@pytest.fixture
def churned(store_path):
    """A store fed a transaction a file (together=1), so that derivation rewrote the open routes."""
    with Store(store_path) as store:
        outcomes = [o for o in ingest(store, [data_file(f) for f in FILES], together=1) if hasattr(o, "status")]
    assert [o.status for o in outcomes] == ["ok"] * len(FILES)
    return store_path


def test_compaction_keeps_every_row_and_gives_back_space(churned):
    before = _fingerprint(churned)
    with Store(churned) as store:
        sizes = store.compact(min_free_share=0.0)
        block_size = store.con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        free = store.con.execute("SELECT free_blocks FROM pragma_database_size()").fetchone()[0]
    assert sizes is not None and sizes[1] < sizes[0]
    assert sizes[1] == churned.stat().st_size
    assert block_size == BLOCK_SIZE and free == 0
    assert _fingerprint(churned) == before
    assert not [p for p in churned.parent.iterdir() if "compacting" in p.name]


def test_after_compaction_imports_go_on_numbering_files(churned):
    with Store(churned) as store:
        last = store.con.execute("SELECT max(file_id) FROM files").fetchone()[0]
        store.compact(min_free_share=0.0)
        [o for o in ingest(store, [data_file("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz")])]
        ids = [r[0] for r in store.con.execute("SELECT file_id FROM files ORDER BY file_id").fetchall()]
    assert ids == list(range(1, last + 2))


def test_a_store_with_little_free_space_is_left_alone(churned):
    with Store(churned) as store:
        store.compact(min_free_share=0.0)
        size = churned.stat().st_size
        assert store.compact() is None        # nothing free now
    assert churned.stat().st_size == size


def test_a_compaction_that_fails_leaves_the_store_as_it_was(churned):
    before = _fingerprint(churned)
    blocker = churned.with_name(f".{churned.name}.compacting-{os.getpid()}")
    blocker.mkdir()                         # the copy cannot be created where it would be
    with Store(churned) as store:
        with pytest.raises(duckdb.Error):
            store.compact(min_free_share=0.0)
        assert store.con.execute("SELECT count(*) FROM files").fetchone()[0] == len(FILES)
    assert _fingerprint(churned) == before
