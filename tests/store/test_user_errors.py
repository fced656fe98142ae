"""What a user sees when an input is wrong: one line naming it and exit status 2, never a
traceback, a hang or a silent skip. Real stores (the 2015 file's KP routes), real files."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from explorer.cli import main
from explorer.state import ViewState, parse_iso
from tests.store.schema_v1 import make_v1_store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KP = ["--prefix", "175.45.176.0/22"]
WINDOW = ["--start", "2015-10-23T02:00:00Z", "--end", "2015-10-23T03:00:00Z"]


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- briefing paths that are not regular files -----------------------------------------------------

@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_a_briefing_that_is_a_device_a_pipe_or_a_folder_is_refused_at_once(kind, tmp_path, kp2015_store):
    if kind == "fifo":
        path = tmp_path / "pipe.json"
        os.mkfifo(path)
    elif kind == "folder":
        path = tmp_path / "folder.json"
        path.mkdir()
    else:
        path = kind
    proc = subprocess.run([sys.executable, "-m", "explorer", "export", str(path), "--out", str(tmp_path / "x.png"),
                           "--store", str(kp2015_store)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    words = {"fifo": "a pipe, not a briefing file", "folder": "a folder, not a briefing file"}.get(
        kind, "a device, not a briefing file")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line(proc.stderr) == f"bgp-explorer export: {path}: {words}" + (
        " (a briefing is a regular file)\n" if kind != "folder" else "\n")
    assert not (tmp_path / "x.png").exists()


# -- damaged stores --------------------------------------------------------------------------------

@pytest.fixture
def half_store(kp2015_store):
    with open(kp2015_store, "r+b") as fh:
        fh.truncate(os.path.getsize(kp2015_store) // 2)
    return kp2015_store


@pytest.mark.parametrize("argv", [["info"], ["visibility", *KP, *WINDOW], ["events", *KP, *WINDOW],
                                  ["graph", *KP, "--at", "2015-10-23T02:30:00Z"], ["export-parquet", "pq"]])
def test_a_store_cut_to_half_its_size_is_one_line_and_status_2(capsys, half_store, tmp_path, argv):
    argv = [str(tmp_path / a) if a == "pq" else a for a in argv]
    status, out, err = run(capsys, *argv, "--store", half_store)
    assert status == 2 and out == ""
    assert f"{half_store} is cut short" in one_line(err) and "nothing was changed" in err
    assert not (tmp_path / "pq").exists()


def test_ingest_refuses_a_cut_store_and_leaves_it_byte_for_byte(capsys, half_store):
    from tests.conftest import data_file

    before = hashlib.sha256(half_store.read_bytes()).hexdigest()
    status, out, err = run(capsys, "ingest", data_file("mrt/dnas__rrc23.updates.20220421.0200.gz"), "--store",
                           half_store)
    assert status == 2 and f"{half_store} is cut short" in one_line(err)
    assert hashlib.sha256(half_store.read_bytes()).hexdigest() == before
    assert not half_store.with_name(half_store.name + ".wal").exists()


@pytest.mark.parametrize("sql, words", [
    ("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'", "its schema_version is 'abc', not a number"),
    ("DELETE FROM meta WHERE key = 'schema_version'", "its meta table names no schema_version"),
])
def test_a_schema_version_that_is_not_a_number_is_one_line_and_status_2(capsys, kp2015_store, sql, words):
    con = duckdb.connect(str(kp2015_store))
    con.execute(sql)
    con.close()
    for argv in (["info"], ["visibility", *KP, *WINDOW], ["ingest", "nothing-here"]):
        status, out, err = run(capsys, *argv, "--store", kp2015_store)
        assert status == 2 and words in one_line(err), argv


# -- numbers beyond any window ---------------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    (["--step", "99999999999999999999999"], "is longer than 1970-2100"),
    (["--step", "100000000000d"], "is longer than 1970-2100"),
    (["--step", "1e400d"], "cannot read duration"),
    (["--start", "99999999999999999999"], "is outside 1970-2100"),
])
def test_numbers_beyond_any_window_are_one_line_and_status_2(capsys, kp2015_store, change, words):
    argv = ["--start", "2015-10-23T02:00:00Z", "--end", "2015-10-23T03:00:00Z"]
    i = argv.index(change[0]) if change[0] in argv else len(argv)
    argv[i:i + 2] = change
    for command in ("visibility", "events"):
        status, out, err = run(capsys, command, *KP, *argv, "--store", kp2015_store)
        assert status == 2 and out == "" and words in one_line(err), (command, err)


def test_a_briefing_whose_step_is_10_to_the_30_is_refused(capsys, kp2015_store, tmp_path):
    from explorer.briefing.briefing import Briefing

    path = Briefing(view=ViewState(scope_kind="prefixes", scope="175.45.176.0/22")).save(tmp_path / "b.json")
    text = path.read_text().replace('"step": 300', '"step": ' + str(10**30))
    path.write_text(text)
    status, out, err = run(capsys, "export", path, "--out", tmp_path / "x.csv", "--store", kp2015_store)
    assert status == 2 and f'"view": step {10**30} s: give a positive step' in one_line(err)


# -- messages that say what is true ----------------------------------------------------------------

def test_a_schema_1_store_is_migrated_by_the_command_its_message_names(capsys, tmp_path):
    from explorer.store import Store, StoreMigrationNeeded

    path = make_v1_store(tmp_path / "old.duckdb")
    with pytest.raises(StoreMigrationNeeded, match=r"any bgp-explorer command \(e.g. bgp-explorer info\)") as exc:
        Store(path, read_only=True)
    assert "old.duckdb.schema1.bak" in str(exc.value)
    status, out, err = run(capsys, "info", "--store", path)
    assert status == 0 and "(schema 4," in out
    assert f"migrated {path} from store schema 1 to 4; the old file is kept as {path}.schema1.bak" in one_line(err)
    status, out, err = run(capsys, "info", "--store", path)
    assert status == 0 and err == ""            # once
    assert (tmp_path / "old.duckdb.schema1.bak").exists()


def test_export_of_a_view_that_cannot_be_shown_is_status_2(capsys, kp2015_store, tmp_path):
    for out in ("x.png", "x.csv"):
        status, _, err = run(capsys, "export", "--country", "Atlantis", *WINDOW, "--out", tmp_path / out, "--store",
                             kp2015_store)
        assert status == 2 and "unknown country 'Atlantis'" in one_line(err), out
    status, _, err = run(capsys, "export", *KP, "--start", "2016-01-01T00:00:00Z", "--end", "2016-01-02T00:00:00Z",
                         "--out", tmp_path / "y.png", "--store", kp2015_store)
    assert status == 2 and "no data in the window" in one_line(err)


# -- options given several times -------------------------------------------------------------------

def test_repeated_prefix_options_add_up(capsys, kp2015_store):
    both = ["--prefix", "175.45.176.0/24", "175.45.178.0/24"]
    repeated = ["--prefix", "175.45.176.0/24", "--prefix", "175.45.178.0/24"]
    status, together, _ = run(capsys, "visibility", *both, *WINDOW, "--by", "prefix", "--store", kp2015_store)
    assert status == 0
    status, separate, _ = run(capsys, "visibility", *repeated, *WINDOW, "--by", "prefix", "--store", kp2015_store)
    assert status == 0 and separate == together
    assert "175.45.176.0/24" in separate and "175.45.178.0/24" in separate and "175.45.177.0/24" not in separate
    status, graph, _ = run(capsys, "graph", *repeated, "--at", "2015-10-23T02:01:40Z", "--store", kp2015_store)
    assert status == 0 and "175.45.176.0/24 175.45.178.0/24" in graph
