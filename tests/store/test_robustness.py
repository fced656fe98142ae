"""Bad input gets a clear outcome and loses nothing; re-import adds nothing; a killed import is undone."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.ingest.pipeline import ingest
from explorer.store import Store, StoreLockedError, StoreVersionError
from tests.conftest import DATA, data_file

ROOT = Path(__file__).resolve().parents[2]
GOOD = "mrt/bgpdump__updates.20071015.1505.gz"


def table_counts(store) -> dict[str, int]:
    return {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("sessions", "prefix_names", "routes", "routes_open", "elements", "state_changes", "intervals",
                      "session_resets")}


def run_cli(*args, store_path, check=True, **kw):
    env = dict(os.environ, BGP_EXPLORER_STORE=str(store_path))
    proc = subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, **kw)
    return proc


BAD = sorted(p.name for p in (DATA / "mrt-bad").glob("*")) if (DATA / "mrt-bad").exists() else []


@pytest.mark.parametrize("name", BAD or ["(absent)"])
def test_bad_file_has_an_outcome_and_keeps_the_store(store, name):
    good = data_file(GOOD)
    bad = data_file(f"mrt-bad/{name}")
    list(ingest(store, [good]))
    before = table_counts(store)
    good_row = store.con.execute("SELECT * FROM files").fetchall()
    [outcome] = [e for e in ingest(store, [bad]) if hasattr(e, "status")]
    assert outcome.status in ("ok", "truncated", "damaged", "unsupported", "failed")
    if outcome.status != "ok":
        assert outcome.reason and len(outcome.reason) > 20
    if outcome.status in ("unsupported", "failed"):
        assert table_counts(store) == before            # nothing of it kept
    assert store.con.execute("SELECT * FROM files WHERE file_id = ?", [good_row[0][0]]).fetchall() == good_row
    n_files = store.con.execute("SELECT count(*) FROM files").fetchone()[0]
    assert n_files == 2
    # the other data is untouched: the good file's elements are all there
    assert store.con.execute("SELECT count(*) FROM elements WHERE file_id = ?", [good_row[0][0]]).fetchone()[0] \
        == before["elements"]


def test_legacy_type5_is_named_by_the_default_parser(store):
    [outcome] = [e for e in ingest(store, [data_file("mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz")],
                                   backend="bgpkit") if hasattr(e, "status")]
    assert outcome.status == "unsupported"
    assert "legacy MRT type 5" in outcome.reason and outcome.reason.startswith("0 elements")
    assert store.con.execute("SELECT count(*) FROM elements").fetchone()[0] == 0


@pytest.mark.skipif(shutil.which("bgpdump") is None, reason="bgpdump (the second backend) is not installed")
def test_second_backend_reads_what_the_first_cannot(store):
    legacy, withdrawal = (data_file("mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz"),
                          data_file("mrt-bad/bgpdump__updates.long_withdrawal.gz"))
    first, second = [e for e in ingest(store, [legacy, withdrawal]) if hasattr(e, "status")]
    # ../shared/data/README.md: bgpdump prints 65,315 lines for this file (A, W and STATE); mrtparse,
    # which reads type 5 withdrawals right, is tried first for such files
    assert first.status == "ok" and first.record.backend == "mrtparse"
    r = first.record
    assert r.announcements + r.withdrawals + r.state_changes == 65_315
    # ... and 4,096 withdrawals from this one message, which pybgpkit-parser 0.6.2 reads as none
    assert (second.status, second.record.withdrawals) == ("ok", 4_096)


def test_damaged_legacy_file_keeps_nothing_invented(store):
    """bgpdump reads on past record 5 and invents 2,044 withdrawals; the record walk stops there, and so
    does mrtparse, which is read first: the 4 good records' elements (2 A, 2 W) are kept, no more."""
    [outcome] = [e for e in ingest(store, [data_file("mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz")])
                 if hasattr(e, "status")]
    assert outcome.status == "damaged" and outcome.record.backend == "mrtparse"
    assert "Record 5 at byte 188" in outcome.reason
    assert store.con.execute("SELECT kind, count(*) FROM elements GROUP BY 1 ORDER BY 1").fetchall() == [(1, 2), (2, 2)]
    [forced] = [e for e in ingest(store, [data_file("mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz")],
                                  backend="bgpdump") if hasattr(e, "status")]
    assert forced.status == "already imported"


def test_reimport_adds_nothing(store):
    path = data_file(GOOD)
    list(ingest(store, [path]))
    before = table_counts(store)
    [again] = [e for e in ingest(store, [path]) if hasattr(e, "status")]
    assert again.status == "already imported"
    assert table_counts(store) == before
    assert store.con.execute("SELECT count(*) FROM files").fetchone()[0] == 1


def test_newer_store_is_refused_untouched(store_path):
    with Store(store_path) as s:
        s.con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    digest = hashlib.sha256(store_path.read_bytes()).hexdigest()
    with pytest.raises(StoreVersionError, match="newer version"):
        Store(store_path)
    assert hashlib.sha256(store_path.read_bytes()).hexdigest() == digest
    proc = run_cli("info", store_path=store_path)
    assert proc.returncode == 1 and "newer version" in proc.stderr


def test_locked_store_is_refused(store_path):
    Store(store_path).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[2]); from explorer.store import Store; "
        "s = Store(sys.argv[1]); print('open', flush=True); time.sleep(30)"), str(store_path), str(ROOT)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError, match=f"process {holder.pid}"):
            Store(store_path)
    finally:
        holder.kill()
        holder.wait()


def test_killed_import_is_undone_and_rerun_completes(store_path):
    small = data_file(GOOD)
    big = data_file("mrt/bgpdump__updates.et-header.2015.gz")
    env = dict(os.environ, BGP_EXPLORER_STORE=str(store_path))
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "ingest", "--backend", "bgpkit", str(small), str(big)],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = proc.stdout.readline()                       # the small file is reported, then the big one starts
    assert "ok" in first
    time.sleep(1.5)                                      # well inside the big file (about 5 s of work for bgpkit)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(store_path) as store:
        files = store.con.execute("SELECT path, status FROM files").fetchall()
        assert files == [(str(small), "ok")]
        counts = store.con.execute("SELECT announcements + withdrawals FROM files").fetchone()[0]
        assert store.con.execute("SELECT count(*) FROM elements").fetchone()[0] == counts
    rerun = run_cli("ingest", "--json", str(small), str(big), store_path=store_path)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert [f["status"] for f in summary["files"]] == ["already imported", "ok"]
    assert summary["files"][1]["announcements"] == 577_737      # bgpdump's count for this file


def test_cli_json_summary_shape(store_path):
    path = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    proc = run_cli("ingest", "--json", str(path), store_path=store_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    from explorer.ingest.libbgpstream import find_bgpreader

    assert summary["backend"] == ("bgpstream" if find_bgpreader() else "bgpkit")
    [f] = summary["files"]
    assert set(f) >= {"path", "status", "announcements", "withdrawals", "rib_entries", "state_changes",
                      "elapsed_s", "error"}
    assert (f["announcements"], f["withdrawals"], f["state_changes"]) == (51_907, 4_094, 58)   # bgpdump's counts
    assert f["collector"] == "rrc23"
    info = json.loads(run_cli("info", "--json", store_path=store_path).stdout)
    assert info["elements"]["announcements"] == 51_907 and info["collectors"][0]["collector"] == "rrc23"


def test_bad_exit_status_when_a_file_fails(store_path):
    proc = run_cli("ingest", "--backend", "bgpkit", str(data_file(GOOD)),
                   str(data_file("mrt-bad/bgpkit-rrc00__updates.19991214.1621.gz")), store_path=store_path)
    assert proc.returncode == 1
    assert "unsupported" in proc.stdout and "legacy MRT type 5" in proc.stdout


def test_ctrl_c_stops_at_once_and_records_each_file_once(store_path):
    """Issue 10: Ctrl-C while the import runs stops it, exits 130, and leaves one row a file."""
    small = data_file(GOOD)
    big = data_file("mrt/bgpdump__updates.et-header.2015.gz")
    others = [data_file("mrt/dnas__rrc23.updates.20220421.0200.gz"), data_file("mrt/bgpdump__updates.20070211.0141.gz")]
    env = dict(os.environ, BGP_EXPLORER_STORE=str(store_path))
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "ingest", "--backend", "bgpkit", str(small), str(big),
                             *map(str, others)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stdout.readline()
    assert "ok" in first
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err and "Traceback" not in err
    assert "failed" not in out
    with Store(store_path) as store:
        rows = store.con.execute("SELECT sha256, status FROM files").fetchall()
        assert len(rows) == len({sha for sha, _ in rows})       # each file once
        assert {status for _, status in rows} <= {"ok"}
        stored = store.con.execute("SELECT sum(announcements + withdrawals) FROM files").fetchone()[0]
        assert store.con.execute("SELECT count(*) FROM elements").fetchone()[0] == stored


def test_an_unfiltered_import_replaces_a_filtered_one(store):
    """Issue 10: a file imported with --filter does not make its whole import 'already imported'."""
    path = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    [first] = [e for e in ingest(store, [path], filter_text="prefix more 175.45.176.0/22") if hasattr(e, "status")]
    assert first.status == "ok" and first.record.announcements == 18        # the data README: 18 A + 1 W
    [again] = [e for e in ingest(store, [path], filter_text="prefix more 175.45.176.0/22") if hasattr(e, "status")]
    assert again.status == "already imported"
    [whole] = [e for e in ingest(store, [path]) if hasattr(e, "status")]
    assert whole.status == "ok" and "Replaces the earlier import" in whole.reason
    assert store.con.execute("SELECT count(*), sum(announcements) FROM files").fetchone() == (1, 51_907)
    assert store.con.execute("SELECT count(*) FROM elements").fetchone()[0] == 51_907 + 4_094
    [sub] = [e for e in ingest(store, [path], filter_text="peer 14061") if hasattr(e, "status")]
    assert sub.status == "already imported"                 # the whole file holds what any filter keeps


@pytest.mark.skipif(shutil.which("bgpdump") is None, reason="bgpdump (the second backend) is not installed")
def test_a_file_name_is_never_read_as_an_option(tmp_path, store_path):
    """Issue 10: a legacy file named -Opwned once ran `bgpdump -m -q -Opwned`, which wrote a file."""
    legacy = tmp_path / "-Opwned"
    legacy.symlink_to(data_file("mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz"))
    env = dict(os.environ, BGP_EXPLORER_STORE=str(store_path))
    proc = subprocess.run([sys.executable, "-m", "explorer", "ingest", "--json", "--backend", "bgpdump", "--",
                           "-Opwned"], cwd=tmp_path,
                          env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [f] = json.loads(proc.stdout)["files"]
    assert f["backend"] == "bgpdump" and f["announcements"] == 5_668        # bgpdump -m reads 5,668 A
    assert not (tmp_path / "pwned").exists() and not (ROOT / "pwned").exists()     # -O would have written it
