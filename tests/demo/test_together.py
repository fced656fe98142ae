"""Files stored together (the demo's build) give the store exactly what one transaction per file gives."""

from __future__ import annotations

import duckdb
import pytest

from explorer.demo import scenario
from explorer.demo.archive import write_archive
from explorer.ingest.pipeline import Outcome, ingest
from explorer.store import Store

TABLES = {
    "elements": "SELECT ts, s.peer_ip, p.prefix, kind, e.path, seq FROM elements e JOIN sessions s USING (session_id) "
                "JOIN prefixes p USING (prefix_id)",
    "intervals": "SELECT s.peer_ip, p.prefix, i.path, start_ts, end_ts FROM intervals i JOIN sessions s USING "
                 "(session_id) JOIN prefixes p USING (prefix_id)",
    "state_changes": "SELECT ts, s.peer_ip, old_state, new_state FROM state_changes JOIN sessions s USING (session_id)",
    "resets": "SELECT s.peer_ip, reset_key FROM session_resets JOIN sessions s USING (session_id)",
    "files": "SELECT path, sha256, kind, status, rib_entries, announcements, withdrawals, state_changes FROM files",
}


def _import(path, folder, together):
    with Store(path) as store:
        for collector in sorted(p.name for p in folder.iterdir()):
            outcomes = [e for e in ingest(store, [folder / collector], collector=collector, together=together)
                        if isinstance(e, Outcome)]
            assert {o.status for o in outcomes} == {"ok"}
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in TABLES.items()}
    finally:
        con.close()


@pytest.mark.parametrize("start", ["2014-12-20T03:00:00", "2014-12-22T15:45:00"])   # a session resets; KP withdrawn
def test_files_stored_together_equal_one_transaction_each(tmp_path, start):
    params = scenario.Params(sessions=4, background=6, collectors=2, start=scenario.utc(start), days=1 / 24)
    folder = tmp_path / "files"
    written = write_archive(scenario.build_story(params), folder, None)
    alone = _import(tmp_path / "alone.duckdb", folder, 1)
    together = _import(tmp_path / "together.duckdb", folder, 3)
    assert len(alone["files"]) == written.file_count > 6 and alone["intervals"] and alone["resets"]
    assert len(alone["state_changes"]) == written.state_changes
    for name in TABLES:
        assert together[name] == alone[name], name
