"""Issue 11's bugs 3 and 6: unreadable input is named and the rest imported; a full disk stops the
import with an account of what was stored, and leaves no empty store behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import data_file

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["mrt/bgpdump__updates.20071015.1505.gz", "mrt/libbgpstream__ris.rrc06.updates.1427846400.gz"]


def ingest(*args, store, as_a_user=False):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "explorer", "ingest", "--store", str(store), "--json", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                          preexec_fn=_without_root_reading if as_a_user and os.geteuid() == 0 else None)


def _without_root_reading() -> None:
    """Root reads every file whatever its mode: the child drops CAP_DAC_OVERRIDE (1) and
    CAP_DAC_READ_SEARCH (2) from its bounding set, so modes apply to it as to any user."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:         # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def unprivileged():
    return True


def test_unreadable_files_and_folders_are_named_and_the_rest_imported(tmp_path, unprivileged):
    archive = tmp_path / "archive"
    (archive / "2007").mkdir(parents=True)
    (archive / "locked").mkdir()
    shutil.copyfile(data_file(SMALL[0]), archive / "2007" / "updates.20071015.1505.gz")
    shutil.copyfile(data_file(SMALL[1]), archive / "locked" / "updates.20150401.0000.gz")
    shutil.copyfile(data_file(SMALL[1]), archive / "2007" / "secret.gz")
    (archive / "2007" / "secret.gz").chmod(0)
    (archive / "locked").chmod(0)
    tmp_path.chmod(0o777)
    archive.chmod(0o755)
    (archive / "2007").chmod(0o755)
    try:
        run = ingest(archive, store=tmp_path / "s.duckdb", as_a_user=unprivileged)
    finally:
        (archive / "locked").chmod(0o755)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    files = {Path(f["path"]).name: f for f in json.loads(run.stdout)["files"]}
    assert files["updates.20071015.1505.gz"]["status"] == "ok"
    assert files["updates.20071015.1505.gz"]["announcements"] == 10_111      # bgpdump's count
    assert files["secret.gz"]["status"] == "not read" and "Permission denied" in files["secret.gz"]["error"]
    assert files["locked"]["status"] == "not read" and "Permission denied" in files["locked"]["error"]


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB file system (tmpfs), where a store of a few files fills the disk."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): no full disk to test with")
    yield where
    subprocess.run(["umount", str(where)], check=False)


def test_a_full_disk_stops_the_import_with_what_was_stored(small_disk):
    files = [data_file(SMALL[0]), data_file(SMALL[1]), data_file("mrt/bgpdump__updates.et-header.2015.gz"),
             data_file("mrt/dnas__rrc23.updates.20220421.0200.gz"), data_file("mrt/dnas__rrc23.updates.20220501.2305.gz")]
    store = small_disk / "s.duckdb"
    run = ingest("--jobs", "1", *files, store=store)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "No space left" in run.stderr and "stopped" in run.stderr
    summary = json.loads(run.stdout)
    assert summary["stopped"]
    reported = [f for f in summary["files"] if f["status"] == "ok"]
    assert len(reported) < len(files)               # it stopped: not every file was tried
    if store.exists():                              # what was reported is in the store, and only that
        con = duckdb.connect(str(store), read_only=True)
        kept = con.execute("SELECT count(*), coalesce(sum(announcements + withdrawals), 0) FROM files").fetchone()
        assert kept[0] == len(reported)
        assert con.execute("SELECT count(*) FROM elements").fetchone()[0] == kept[1]
        con.close()


def test_a_store_that_cannot_be_created_leaves_no_file(tmp_path):
    where = tmp_path / "tiny"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        run = ingest(data_file(SMALL[0]), store=where / "s.duckdb")
        assert run.returncode != 0
        assert "No space left" in run.stderr and "Traceback" not in run.stderr
        assert list(where.iterdir()) == []          # no empty store for every later command to refuse
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_a_full_temporary_folder_is_named(tmp_path, small_disk):
    """The parsers stage a file's columns in the temporary folder; a full one stops the import with a
    sentence that names it and says how to move it (TMPDIR), not a bare OSError."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(small_disk))
    run = subprocess.run([sys.executable, "-m", "explorer", "ingest", "--store", str(tmp_path / "s.duckdb"),
                          str(data_file("mrt/bgpdump__updates.et-header.2015.gz"))], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "Errno 28" not in run.stderr.splitlines()[-1][:40]
    assert f"temporary folder {small_disk}" in run.stderr and "TMPDIR" in run.stderr


def test_a_bz2_file_cut_in_its_first_block_says_so(tmp_path):
    """Issue 11, bug 7: it read "no RIB or update records (MRT type/subtype )"."""
    cut = tmp_path / "rib.20140523.0600.bz2"
    cut.write_bytes(data_file("mrt/pyasn__rib.20140523.0600_firstMB.bz2").read_bytes()[:20_000])     # inside its first 900 kB block
    run = ingest(cut, store=tmp_path / "s.duckdb")
    [f] = json.loads(run.stdout)["files"]
    assert run.returncode == 1 and f["status"] == "failed"
    assert "type/subtype )" not in f["error"] and "bz2 stream ends early" in f["error"], f["error"]
