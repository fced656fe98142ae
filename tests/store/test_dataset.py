"""The partitioned dataset on a Dask LocalCluster of 2 worker processes on 127.0.0.1: the same
answers as a single-file store of the same real files, exactly once when a worker dies, a rerun
that adds nothing, a damaged file named, and windows that read only their days' partitions."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from explorer.cli import main
from tests.conftest import DATA, data_file

distributed = pytest.importorskip("distributed", reason="Dask distributed is the [cluster] extra (make test installs it)")

MRT = "mrt"
DAMAGED = "mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as c, distributed.Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def built(cluster, tmp_path_factory):
    """(single-file store, dataset, the dataset run's events) of every file of ../shared/data/mrt."""
    from explorer.ingest.dataset import ingest_dataset
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    folder = data_file(MRT)
    root = tmp_path_factory.mktemp("dataset")
    store = root / "store.duckdb"
    with Store(store) as s:
        local = [e for e in ingest(s, [folder], jobs=2) if hasattr(e, "status")]
    events = list(ingest_dataset(root / "ds", [folder], client=cluster[1]))
    outcomes = [e for e in events if hasattr(e, "status")]
    assert sorted((Path(o.path).name, o.status) for o in outcomes) == sorted((Path(o.path).name, o.status)
                                                                              for o in local)
    return store, root / "ds", events


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


# Scopes and windows: the KP /24s of the 2015 file; the rrc15 pair of 2010 files (origin AS3356); a
# country over rrc23's two days eleven days apart (routes carried across them); a day with no file.
COMMANDS = {
    "kp-2015-visibility": ["visibility", "--country", "KP", "--start", "2015-10-23T02:00:00Z", "--end",
                           "2015-10-23T02:05:00Z", "--step", "10", "--by", "prefix"],
    "kp-2015-events": ["events", "--country", "KP", "--start", "2015-10-23T02:00:00Z", "--end",
                       "2015-10-23T02:05:00Z", "--step", "10"],
    "kp-2015-graph": ["graph", "--country", "KP", "--at", "2015-10-23T02:01:55Z", "--since", "2015-10-23T02:01:40Z"],
    "rrc15-2010-visibility": ["visibility", "--origin", "AS3356", "--start", "2010-02-27T16:00:00Z", "--end",
                              "2010-02-27T16:20:00Z", "--step", "60", "--by", "prefix"],
    "rrc15-2010-events": ["events", "--origin", "AS3356", "--start", "2010-02-27T16:00:00Z", "--end",
                          "2010-02-27T16:20:00Z", "--step", "60"],
    "rrc15-2010-graph": ["graph", "--origin", "AS3356", "--at", "2010-02-27T16:15:00Z", "--since",
                         "2010-02-27T16:00:00Z"],
    "jp-2022-visibility": ["visibility", "--country", "JP", "--start", "2022-04-21T02:00:00Z", "--end",
                           "2022-05-01T23:10:00Z", "--step", "1d", "--by", "prefix"],
    "jp-2022-events": ["events", "--country", "JP", "--start", "2022-04-30T00:00:00Z", "--end",
                       "2022-05-01T23:10:00Z", "--step", "5m"],
    "jp-2022-graph": ["graph", "--country", "JP", "--at", "2022-05-01T23:07:00Z", "--since", "2022-04-25T00:00:00Z"],
    "nl-no-file-that-day": ["visibility", "--country", "NL", "--start", "2022-04-25T00:00:00Z", "--end",
                            "2022-04-25T01:00:00Z", "--step", "30m", "--by", "prefix", "--format", "json"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_dataset_answers_as_the_single_file_store(capsys, built, name):
    store, dataset, _ = built
    status, expected, err = run(capsys, *COMMANDS[name], "--store", store)
    assert status == 0, err
    assert len(expected.splitlines()) > 3
    status, got, err = run(capsys, *COMMANDS[name], "--store", dataset)
    assert status == 0, err
    assert got == expected


def test_info_and_the_export_of_a_view_match_too(capsys, built, tmp_path):
    store, dataset, _ = built
    docs = []
    for where in (store, dataset):
        status, out, _ = run(capsys, "info", "--json", "--store", where)
        assert status == 0
        docs.append({k: v for k, v in json.loads(out).items() if k not in ("store", "bytes")})
    assert docs[0] == docs[1] and docs[0]["intervals"] > 1_000_000
    outs = []
    for where, name in ((store, "s.csv"), (dataset, "d.csv")):
        status, _, err = run(capsys, "export", "--country", "JP", "--start", "2022-05-01T23:05:00Z", "--end",
                             "2022-05-01T23:10:00Z", "--store", where, "--out", tmp_path / name)
        assert status == 0, err
        outs.append((tmp_path / name).read_text())
    assert outs[0] == outs[1]


def test_the_manifest_records_every_file_by_sha256_once(built):
    import duckdb

    _, dataset, events = built
    con = duckdb.connect()
    rows = con.execute(f"SELECT sha256, status, path FROM read_parquet('{dataset}/manifest/*.parquet')").fetchall()
    outcomes = [e for e in events if hasattr(e, "status")]
    assert len(rows) == len({r[0] for r in rows}) == len(outcomes) == len(list((DATA / MRT).iterdir()))
    derived = events[-1]
    assert derived.collectors == 5 and derived.days == 20
    assert not [p for p in dataset.rglob("*") if p.name.endswith(".tmp")]


def test_a_window_reads_only_the_partitions_of_its_days(built):
    """EXPLAIN ANALYZE: the partitions of the window's days and one checkpoint per collector."""
    from explorer.store.dataset import DatasetStore
    from explorer.store.queries import _days

    _, dataset, _ = built
    with DatasetStore(dataset) as ds:
        con = ds.cursor()
        con.register("scope", pa.table({"pid": pa.array(np.asarray(con.execute(
            "SELECT prefix_id FROM dataset_prefix_ids").fetchnumpy()["prefix_id"]), pa.int64())}))
        lo, hi = 4 * 1651446300 * 10**6 + 3, 4 * 1651446600 * 10**6 + 3       # 2022-05-01 23:05 to 23:10
        with _days(con, lo, hi):
            plan = con.execute("""EXPLAIN ANALYZE SELECT count(*) FROM routes SEMI JOIN scope ON prefix_id = pid
                                  WHERE start_key <= $hi AND end_key > $lo""", {"lo": lo, "hi": hi}).fetchall()[0][1]
    flat = re.sub(r"[\s│]", "", plan)
    scans = [(int(a), int(b)) for a, b in re.findall(r"ScanningFiles:(\d+)/(\d+)", flat)]
    opened = set(re.findall(r"collector=([^/]+)/(day=[\d-]+|since=[\d-]+/until=[\d-]+)/", flat))
    assert scans == [(2, 40), (5, 20)], plan       # rrc23's two files of 2022-05-01; a checkpoint each
    assert ("rrc23", "day=2022-05-01") in opened and ("rrc23", "since=2022-04-22/until=2022-05-01") in opened
    assert not any(p.startswith("day=") and p != "day=2022-05-01" for _, p in opened)


def test_a_rerun_adds_nothing(built, cluster):
    """Every kept file is 'already imported' and nothing is written but the outcome of the files that
    failed, tried again as a local ingest does (a backend installed since may read them)."""
    import duckdb

    from explorer.ingest.dataset import ingest_dataset

    _, dataset, first = built
    failed = sorted(o.path for o in first if getattr(o, "status", None) == "failed")
    before = {p: p.stat().st_mtime_ns for p in dataset.rglob("*") if p.is_file()}
    events = list(ingest_dataset(dataset, [data_file(MRT)], client=cluster[1]))
    outcomes = [e for e in events if hasattr(e, "status")]
    assert sorted(o.path for o in outcomes if o.status != "already imported") == failed
    assert {o.status for o in outcomes if o.path in failed} == {"failed"}
    assert events[-1].days == 0 and events[-1].collectors == 0
    after = {p: p.stat().st_mtime_ns for p in dataset.rglob("*") if p.is_file()}
    added = sorted(str(p.relative_to(dataset).parent) for p in set(after) - set(before))
    assert added == ["manifest"] and {p: after[p] for p in before} == before
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM read_parquet('{dataset}/manifest/*.parquet') WHERE status <> 'failed'"
                       ).fetchone()[0] == len([o for o in first if getattr(o, "status", None) not in (None, "failed")])


def _largest(n: int) -> list[Path]:
    return sorted(data_file(MRT).iterdir(), key=lambda p: p.stat().st_size, reverse=True)[:n]


def test_a_worker_killed_mid_run_and_every_file_is_in_once(cluster, tmp_path, capsys):
    """SIGKILL the worker process running a task once the first file is in: Dask runs its tasks
    again on the other worker (and the nanny's new one); the manifest holds every file once, no
    temporary file is left, and the dataset answers as a store of the same files."""
    import duckdb

    from explorer.ingest.dataset import ingest_dataset
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    _, client = cluster
    files = _largest(12)
    killed = []
    events = []
    for event in ingest_dataset(tmp_path / "ds", files, client=client):
        events.append(event)
        if not killed and hasattr(event, "status"):
            busy = [w for w, keys in client.processing().items() if keys]
            assert busy, "no task was running when the first file came back"
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append((busy[0], client.processing()[busy[0]]))
    assert killed
    outcomes = [e for e in events if hasattr(e, "status")]
    assert len(outcomes) == len(files) and {o.status for o in outcomes} <= {"ok", "truncated"}
    con = duckdb.connect()
    shas = con.execute(f"SELECT sha256 FROM read_parquet('{tmp_path}/ds/manifest/*.parquet')").fetchall()
    assert len(shas) == len(set(shas)) == len(files)
    parts = list((tmp_path / "ds" / "elements").rglob("*.parquet"))
    assert len({p.stem for p in parts}) == len(files)
    assert not [p for p in (tmp_path / "ds").rglob("*") if p.name.endswith(".tmp")]
    _wait_for_workers(client, 2)
    with Store(tmp_path / "store.duckdb") as s:
        list(ingest(s, files))
    argv = ["visibility", "--country", "KP", "--start", "2015-10-23T02:00:00Z", "--end", "2015-10-23T02:05:00Z",
            "--step", "10", "--by", "prefix"]
    assert run(capsys, *argv, "--store", tmp_path / "ds") == run(capsys, *argv, "--store", tmp_path / "store.duckdb")
    status, a, _ = run(capsys, "info", "--json", "--store", tmp_path / "ds")
    status, b, _ = run(capsys, "info", "--json", "--store", tmp_path / "store.duckdb")
    assert json.loads(a)["elements"] == json.loads(b)["elements"]
    assert json.loads(a)["intervals"] == json.loads(b)["intervals"]


def _wait_for_workers(client, n: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while len(client.scheduler_info()["workers"]) < n and time.monotonic() < end:
        time.sleep(0.2)


def test_a_damaged_file_is_named_and_the_others_go_in(cluster, tmp_path, capsys):
    """The command line on the cluster's scheduler address: exit status 1, the damaged file in the
    manifest and in the summary with its reason, the others in."""
    import duckdb

    c, client = cluster
    _wait_for_workers(client, 2)
    bad = data_file(DAMAGED)
    good = [data_file("mrt-bad/bgpkit-rrc01__updates.20001104.0124.gz"),
            data_file("mrt-bad/bgpkit-rrc03__updates.20100227.1600.first-796-records.gz"),
            data_file("mrt/bgpkit-rrc15__updates.20100227.1610.gz")]
    status, out, err = run(capsys, "ingest", "--dataset", tmp_path / "ds", "--cluster", c.scheduler_address,
                           bad, *good)
    assert status == 1, err
    assert re.search(rf"damaged: {re.escape(str(bad))}: .+", out)
    assert "4 file(s): 3 imported or already there, 1 failed" in out
    rows = dict(duckdb.connect().execute(
        f"SELECT path, status || ': ' || coalesce(reason, '') FROM read_parquet('{tmp_path}/ds/manifest/*.parquet')"
    ).fetchall())
    assert rows[str(bad)].startswith("damaged: ") and "kept the" in rows[str(bad)]
    assert all(rows[str(p)].startswith("ok") for p in good)


def test_the_window_opens_a_dataset_read_only(built):
    pytest.importorskip("PySide6")
    from explorer.store.dataset import DatasetStore
    from explorer.store.errors import StoreError
    from explorer.ui.store_lock import open_store

    _, dataset, _ = built
    with open_store(dataset) as store:
        assert isinstance(store, DatasetStore) and store.read_only
        with pytest.raises(StoreError, match="read-only"):
            with store.transaction():
                pass


def test_a_folder_that_is_no_dataset_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    status, out, err = run(capsys, "ingest", "--dataset", tmp_path, "--cluster", "local:1",
                           data_file("mrt/bgpkit-rrc15__updates.20100227.1610.gz"))
    assert status == 1 and "not a dataset" in err and (tmp_path / "notes.txt").read_text() == "mine"
    status, _, err = run(capsys, "ingest", "--dataset", tmp_path / "x", "--cluster", "local:many", "f")
    assert status == 2 and "local:N" in err


def test_screenshot_draws_the_window_on_a_dataset(built, tmp_path, capsys, monkeypatch):
    pytest.importorskip("PySide6")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    _, dataset, _ = built
    status, out, err = run(capsys, "screenshot", "--store", dataset, "--country", "JP", "--start",
                           "2022-05-01T23:05:00Z", "--end", "2022-05-01T23:10:00Z", "--out", tmp_path / "jp.png",
                           "--size", "1280x720")
    assert status == 0, err
    assert (tmp_path / "jp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_plain_ingest_into_a_dataset_says_to_use_dataset(built, capsys):
    _, dataset, _ = built
    status, _, err = run(capsys, "ingest", "--store", dataset, data_file("mrt/bgpkit-rrc15__updates.20100227.1610.gz"))
    assert status == 2 and f"--dataset {dataset}" in err
