"""The analysis commands end to end on real files: outputs, definitions in every header, bad input."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main
from tests.conftest import data_file

WITHDRAWN = ["84.205.78.0/24", "202.155.148.0/24", "114.57.40.0/22"]   # withdrawn at the end of the 2015 file


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("argv, words", [
    (["visibility", "--country", "North Koria", "--start", "2015-10-23T02:00:00Z", "--end", "2015-10-23T03:00:00Z"],
     "North Korea (KP)"),
    (["visibility", "--country", "KP", "--start", "2015-10-23T03:00:00Z", "--end", "2015-10-23T02:00:00Z"],
     "ends (2015-10-23T02:00:00Z) before it starts"),
    (["visibility", "--country", "KP", "--start", "2014-12-22T00:00:00Z", "--end", "2014-12-23T00:00:00Z"],
     "no data in the window"),
    (["visibility", "--country", "KP", "--start", "2015-10-23T02:00:00Z", "--end", "2015-11-23T02:00:00Z",
      "--step", "1"], "more than 1,000,000"),
    (["events", "--country", "KP", "--start", "yesterday", "--end", "2015-10-23T02:00:00Z"], "cannot read time"),
    (["graph", "--country", "XX", "--at", "2015-10-23T02:00:00Z"], "unknown country"),
    (["graph", "--prefix", "175.45.176.0/22", "--at", "2016-10-23T02:00:00Z"], "no data in the window"),
])
def test_bad_input_is_one_clear_message_and_status_2(capsys, et2015_store, argv, words):
    status, out, err = run(capsys, *argv, "--store", et2015_store)
    assert status == 2 and out == ""
    assert words in err and err.count("\n") == 1


def test_visibility_total_csv_has_the_definitions_first(capsys, et2015_store):
    status, out, _ = run(capsys, "visibility", "--country", "KP", "--start", "2015-10-23T02:01:00Z",
                         "--end", "2015-10-23T02:02:00Z", "--step", "10", "--store", et2015_store)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("# definitions: ") and json.loads(lines[0][15:])["full_feed"] == "share:0.75"
    assert lines[1] == "time,scope,visible_prefixes,visible_slash24,visible_origins,announcements,withdrawals"
    rows = [r.split(",") for r in lines[2:]]
    assert [r[0] for r in rows][:2] == ["2015-10-23T02:01:00Z", "2015-10-23T02:01:10Z"]
    # the four /24s arrive at 02:01:48.37 (bgpdump): visible from the 02:01:50 instant, 4 announcements in its bin
    by_time = {r[0]: r for r in rows}
    assert by_time["2015-10-23T02:01:40Z"][2:] == ["0", "0", "0", "0", "0"]
    assert by_time["2015-10-23T02:01:50Z"][2:] == ["4", "4", "1", "4", "0"]


def test_visibility_by_prefix_and_upstream_json(capsys, et2015_store):
    args = ["--country", "KP", "--start", "2015-10-23T02:01:55Z", "--end", "2015-10-23T02:01:55Z",
            "--format", "json", "--store", et2015_store]
    status, out, _ = run(capsys, "visibility", "--by", "prefix", *args)
    doc = json.loads(out)
    assert status == 0 and doc["definitions"]["full_feed_sessions"]["ipv4"] == 1
    assert sorted((r["prefix"], r["peers"], r["visibility"]) for r in doc["rows"]) == [
        (f"175.45.{n}.0/24", 1, 1.0) for n in range(176, 180)]
    status, out, _ = run(capsys, "visibility", "--by", "upstream", *args)
    assert [(r["upstream_asn"], r["visible_prefixes"]) for r in json.loads(out)["rows"]] == [(4837, 4)]


def test_events_find_the_withdrawals_as_an_outage(capsys, et2015_store):
    # announced at 02:01:47-48, withdrawn at 1445565711.010749, 1445565715.113690 and 1445565715.327570; the
    # file's last element at 1445565715.574100 (bgpdump -m). Issue 12: an outage starts at the routing change
    # that takes the count under the threshold (the first withdrawal: 2 of 3 < 90%), to the microsecond, and
    # lasts, not restored, until the data ends; each prefix has its own withdrawal.
    status, out, _ = run(capsys, "events", "--prefix", *WITHDRAWN, "--start", "2015-10-23T02:01:49Z",
                         "--end", "2015-10-23T02:02:10Z", "--step", "1", "--store", et2015_store)
    doc = json.loads(out)
    assert status == 0 and "full_feed" in doc["definitions"]
    outages = [e for e in doc["events"] if e["kind"] == "outage"]
    end = "2015-10-23T02:01:55.574100Z"
    assert outages == [{"kind": "outage", "start": "2015-10-23T02:01:51.010749Z", "end": end,
                        "duration_s": 4.563351, "restored": False, "prefixes": 3, "slash24": 6, "depth": 1.0,
                        "baseline_prefixes": 3, "all_withdrawn": True, "by_prefix": [
                            {"prefix": "84.205.78.0/24", "start": "2015-10-23T02:01:51.010749Z", "end": end,
                             "duration_s": 4.563351, "restored": False, "all_withdrawn": True},
                            {"prefix": "114.57.40.0/22", "start": "2015-10-23T02:01:55.327570Z", "end": end,
                             "duration_s": 0.24653, "restored": False, "all_withdrawn": True},
                            {"prefix": "202.155.148.0/24", "start": "2015-10-23T02:01:55.113690Z", "end": end,
                             "duration_s": 0.46041, "restored": False, "all_withdrawn": True}]}]
    for step in ("7", "60"):                                    # the same at any step
        _, again, _ = run(capsys, "events", "--prefix", *WITHDRAWN, "--start", "2015-10-23T02:01:49Z",
                          "--end", "2015-10-23T02:02:10Z", "--step", step, "--store", et2015_store)
        assert [e for e in json.loads(again)["events"] if e["kind"] == "outage"] == outages


def test_graph_since_lists_gained_edges(capsys, et2015_store):
    status, out, _ = run(capsys, "graph", "--origin", "AS131279", "--at", "2015-10-23T02:01:55Z",
                         "--since", "2015-10-23T02:01:40Z", "--store", et2015_store)
    doc = json.loads(out)
    assert status == 0 and doc["lost"] == [] and len(doc["gained"]) == 3 and doc["at"] == "2015-10-23T02:01:55Z"
    status, out, _ = run(capsys, "graph", "--country", "KP", "--at", "2015-10-23T02:01:55Z", "--format", "dot",
                         "--store", et2015_store)
    assert status == 0 and "4837 -> 131279 [label=\"4\"" in out


def test_registry_import_changes_which_mapping_the_output_names(capsys, kp2015_store):
    store = kp2015_store
    apnic = data_file("registry/rir2014-10-09-bestroutetb__delegated-apnic-latest")
    names = data_file("registry/pyasn__asnames.json.gz")
    status, out, _ = run(capsys, "registry", "import", apnic, names, "--store", store)
    assert status == 0 and "apnic delegation of 2014-10-09" in out and "77,586 AS names" in out
    status, out, _ = run(capsys, "graph", "--country", "KP", "--at", "2015-10-23T02:01:49Z", "--store", store)
    doc = json.loads(out)
    assert "apnic delegation file of 2014-10-09" in doc["definitions"]["country"]
    origin = [n for n in doc["nodes"] if n["asn"] == 131279][0]
    assert (origin["country"], origin["name"], origin["role"]) == ("KP", "STAR-KP Ryugyong-dong", "origin")
    status, _, err = run(capsys, "registry", "import", data_file("registry/pyasn__ipasn_20140513.dat.gz"),
                         "--store", store)
    assert status == 2 and "not a registry file" in err


def test_an_analysis_command_migrates_a_version_1_store_first(capsys, tmp_path):
    from tests.store.schema_v1 import make_v1_store

    store = make_v1_store(tmp_path / "old.duckdb", "('schema_version', '1')")
    status, _, err = run(capsys, "graph", "--country", "KP", "--at", "0", "--store", store)
    assert status == 2 and "holds no routing data" in err
    assert (tmp_path / "old.duckdb.schema1.bak").exists()
