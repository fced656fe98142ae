"""The demo store as ``--demo`` uses it: built once, reused, rebuilt when stale, never half
written, labelled in ``info``, and kept apart from real archives imported into the same store."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from explorer.cli import main
from explorer.demo.build import DEMO_LABEL, build_demo_store, ensure_demo_store, is_current
from explorer.demo.scenario import Params, utc
from explorer.ingest.pipeline import Outcome, ingest
from explorer.store import Store
from tests.conftest import data_file

TINY = Params(sessions=2, background=2, collectors=1, start=utc("2014-12-22T16:00:00"), days=1 / 96)


def test_info_demo_shows_the_label(demo, monkeypatch, capsys):
    path, _ = demo
    monkeypatch.setenv("BGP_EXPLORER_DEMO", str(path))
    before = path.stat().st_mtime_ns
    assert main(["info", "--demo"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == DEMO_LABEL
    assert "demo-route-views2" in out and "demo-rrc00" in out
    assert path.stat().st_mtime_ns == before                      # reused, not built again


def test_stale_or_incomplete_demo_is_rebuilt(tmp_path):
    path = tmp_path / "demo.duckdb"
    ensure_demo_store(path, TINY)
    assert is_current(path)
    for key, value in (("demo_version", "0"), ("demo_complete", "0")):
        with Store(path) as store:
            store.con.execute("UPDATE meta SET value = ? WHERE key = ?", [value, key])
        assert not is_current(path)
        ensure_demo_store(path, TINY)
        assert is_current(path)
    path.write_bytes(b"not a database")
    assert not is_current(path)
    ensure_demo_store(path, TINY)
    assert is_current(path)


def test_interrupted_build_leaves_no_half_store(tmp_path):
    path = tmp_path / "demo.duckdb"

    def interrupt(stage, done, total):
        if stage == "import" and done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_demo_store(path, TINY, progress=interrupt)
    assert list(tmp_path.iterdir()) == []
    killed = tmp_path / ".demo.duckdb.999999999.building"        # a build whose process was killed
    killed.write_bytes(b"half")
    build_demo_store(path, TINY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_demo_and_real_archives_stay_apart(demo, tmp_path):
    """Real RIS data holding a KP prefix, imported into a copy of the demo store: the demo's
    collectors, sessions and routes are unchanged and the real ones sit beside them."""
    real = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    path = tmp_path / "both.duckdb"
    shutil.copy(demo[0], path)
    query = """SELECT s.collector, s.peer_ip, s.peer_asn, p.prefix, i.path, i.start_ts, i.end_ts
               FROM intervals i JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)
              """
    with Store(path) as store:
        before = set(store.con.execute(query).fetchall())
        sessions_before = set(store.con.execute("SELECT * FROM sessions").fetchall())
        [outcome] = [e for e in ingest(store, [real]) if isinstance(e, Outcome)]
        assert outcome.status == "ok" and outcome.record.collector == "rrc23"
        after = set(store.con.execute(query).fetchall())
        sessions_after = set(store.con.execute("SELECT * FROM sessions").fetchall())
        demo_rows = {r for r in after if r[0].startswith("demo-")}
        real_rows = after - demo_rows
    assert demo_rows == before
    assert sessions_before <= sessions_after
    assert {s[1] for s in sessions_after - sessions_before} == {"rrc23"}
    assert real_rows and {r[0] for r in real_rows} == {"rrc23"}
    assert {(r[1], r[2]) for r in real_rows}.isdisjoint({(r[1], r[2]) for r in demo_rows})
    assert any(r[3] == "175.45.177.0/24" for r in real_rows)             # real KP churn of 2022
    con = duckdb.connect(str(path), read_only=True)
    labels = con.execute("SELECT value FROM meta WHERE key = 'demo_label'").fetchall()
    con.close()
    assert labels == [(DEMO_LABEL,)]          # still says it holds the demo
