"""Issue 13: a window's session table sizes (a read of every route of the window) are kept in the
store, so the next process reads them; an import, a read-only store and a damaged entry are handled."""

from __future__ import annotations

import io

import numpy as np

from explorer.analysis import Window
from explorer.analysis.routes import table_sizes
from explorer.ingest.pipeline import ingest
from explorer.state import parse_iso
from explorer.store import Store
from explorer.store.derived import TABLE
from explorer.store.queries import session_ids, session_table_sizes
from tests.conftest import data_file

FILES = ["mrt/dnas__rrc23.updates.20220421.0200.gz", "mrt/dnas__rrc23.updates.20220501.2305.gz"]
WINDOW = Window(parse_iso("2022-04-21T02:00:00Z"), parse_iso("2022-04-21T02:15:00Z"), 10)


def _direct(con) -> dict[int, tuple[int, int]]:
    r = session_table_sizes(con, WINDOW.start * 1_000_000, WINDOW.end * 1_000_000)
    return {(int(s), int(a)): int(n) for s, a, n in zip(r["session_id"], r["af"], r["n"])}


def _sizes(store) -> dict[int, tuple[int, int]]:
    with store.reader() as con:
        session, _, af, n = table_sizes(con, WINDOW)
        ids = session_ids(con)
    return {(int(ids[s]), int(a)): int(v) for s, a, v in zip(session, af, n)}


def _entries(path):
    with Store(path, read_only=True) as s:
        return s.con.execute(f"SELECT key, stamp FROM {TABLE}").fetchall()


def test_sizes_are_kept_and_read_back(store_path):
    with Store(store_path) as s:
        list(ingest(s, [data_file(FILES[0])]))
        direct = _direct(s.con)
        assert len(direct) > 10 and max(direct.values()) > 1000      # the collector's full tables
        assert _sizes(s) == direct
    assert len(_entries(store_path)) == 1

    # a new process reads the kept entry: shown by changing it in place (doubled sizes come back)
    with Store(store_path) as s:
        (blob,) = s.con.execute(f"SELECT value FROM {TABLE}").fetchone()
        z = dict(np.load(io.BytesIO(blob), allow_pickle=False))
        z["n"] = z["n"] * 2
        buf = io.BytesIO()
        np.savez(buf, **z)
        s.con.execute(f"UPDATE {TABLE} SET value = ?", [buf.getvalue()])
    with Store(store_path, read_only=True) as s:
        assert _sizes(s) == {k: 2 * v for k, v in direct.items()}

    # a damaged entry is computed again (and written anew)
    with Store(store_path) as s:
        s.con.execute(f"UPDATE {TABLE} SET value = 'not an npz'::BLOB")
    with Store(store_path) as s:
        assert _sizes(s) == direct
    with Store(store_path, read_only=True) as s:
        assert _sizes(s) == direct

    # an import changes the stamp: the old entry is never read, and goes at the next write
    ((_, stamp_before),) = _entries(store_path)
    with Store(store_path) as s:
        list(ingest(s, [data_file(FILES[1])]))
        assert _sizes(s) == _direct(s.con)
    (entry,) = _entries(store_path)
    assert entry[1] != stamp_before


def test_a_read_only_store_is_answered_and_not_written(store_path):
    with Store(store_path) as s:
        list(ingest(s, [data_file(FILES[0])]))
    with Store(store_path, read_only=True) as s:
        assert _sizes(s) == _direct(s.con)
        tables = {r[0] for r in s.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert TABLE not in tables


def test_an_import_by_the_command_line_drops_what_was_kept(store_path, capsys):
    from explorer.cli import main

    assert main(["ingest", "--store", str(store_path), str(data_file(FILES[0]))]) == 0
    with Store(store_path) as s:
        _sizes(s)
        assert s.con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == 1
    assert main(["ingest", "--store", str(store_path), str(data_file(FILES[1]))]) == 0
    with Store(store_path, read_only=True) as s:
        assert s.con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == 0
