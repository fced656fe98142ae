"""The online form (pybgpstream's broker) stores what a local import of the same archives stores.

The broker is tests/broker.py's, on 127.0.0.1, serving the real files of ../shared/data in place;
every other connection goes to its guard, which must see none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.broker import CATALOGUE
from tests.conftest import data_file, pybgpstream_or_skip

ROOT = Path(__file__).resolve().parents[2]
ROUTES = """SELECT s.collector, s.peer_ip, s.peer_asn, p.prefix, i.kind, i.path, i.start_key, i.end_key
            FROM (SELECT * EXCLUDE (cluster) FROM routes UNION ALL SELECT * FROM routes_open) i
            JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)"""


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def contents(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {"routes": sorted(con.execute(ROUTES).fetchall(), key=repr),
                "states": sorted(con.execute("""SELECT s.peer_ip, x.ts, x.old_state, x.new_state
                                               FROM state_changes x JOIN sessions s USING (session_id)""").fetchall()),
                "resets": sorted(con.execute("SELECT session_id, reset_key FROM session_resets").fetchall()),
                "files": sorted(con.execute("""SELECT kind, status, rib_entries, announcements, withdrawals,
                                               state_changes, first_ts, last_ts FROM files""").fetchall(), key=repr)}
    finally:
        con.close()


@pytest.mark.parametrize("collector, start, end, filter_text", [
    ("rrc23", 1650506400, 1651446600, None),                           # two update files ten days apart
    ("rrc05", 1027377480, 1027381200, None),                           # updates, then a RIB dump
    ("rrc23", 1650506400, 1651446600, "prefix more 175.45.176.0/22"),   # the KP churn of 2022
])
def test_online_equals_a_local_import_of_the_same_files(loopback_broker, tmp_path, collector, start, end,
                                                        filter_text):
    pybgpstream_or_skip()
    env = dict(os.environ)
    flt = ["--filter", filter_text] if filter_text else []
    online = tmp_path / "online.duckdb"
    run = cli("ingest", "--store", online, "--collector", collector, "--start", start, "--end", end,
              "--broker-url", loopback_broker.url, "--json", *flt, env=env)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    dumps = [d for d in CATALOGUE if d.collector == collector]
    assert sorted(f["path"] for f in summary["files"]) == sorted(
        f"bgpstream://{d.project}/{d.collector}/{'rib' if d.type == 'ribs' else 'update'}/{d.initial_time}"
        for d in dumps)
    local = tmp_path / "local.duckdb"
    run = cli("ingest", "--store", local, "--collector", collector, *flt, *(data_file(d.path) for d in dumps))
    assert run.returncode == 0, run.stderr
    got, want = contents(online), contents(local)
    assert len(want["routes"]) > (10 if filter_text else 50_000)
    assert got == want
    again = cli("ingest", "--store", online, "--collector", collector, "--start", start, "--end", end,
                "--broker-url", loopback_broker.url, "--json", *flt, env=env)
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"already imported"}
    assert contents(online) == want
    assert loopback_broker.leaks() == []
