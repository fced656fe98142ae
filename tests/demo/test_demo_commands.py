"""The demo answers the questions it was built for, through the same commands a user types.

The scenario's documented facts (kp_2014_ground_truth.md): every session withdraws the four KP
/24s from 2014-12-22 16:15 UTC, routes come back through China Unicom at 2014-12-23 01:46 UTC, a
second outage runs about 06:40 to 07:12 UTC on the 23rd. The events must find each within one step.
"""

from __future__ import annotations

import json

from explorer.cli import main
from explorer.timeutil import parse_time

STEP = 300


def _run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_events_find_both_outages_within_one_step(demo, capsys):
    out = _run(capsys, "events", "--store", str(demo[0]), "--country", "KP", "--start", "2014-12-22T12:00:00Z",
               "--end", "2014-12-23T07:30:00Z", "--format", "json")
    outages = [e for e in json.loads(out)["events"] if e["kind"] == "outage"]
    assert len(outages) == 2
    first, second = outages
    for event, start, end in ((first, "2014-12-22T16:15:00Z", "2014-12-23T01:46:00Z"),
                              (second, "2014-12-23T06:40:00Z", "2014-12-23T07:12:00Z")):
        assert abs(parse_time(event["start"]) - parse_time(start)) <= STEP
        assert abs(parse_time(event["end"]) - parse_time(end)) <= STEP
        assert event["prefixes"] == 4 and event["depth"] == 1.0


def test_visibility_before_and_during_the_outage(demo, capsys):
    out = _run(capsys, "visibility", "--store", str(demo[0]), "--country", "KP", "--start", "2014-12-22T12:00:00Z",
               "--end", "2014-12-22T20:00:00Z", "--step", "8h")
    rows = [line.split(",") for line in out.splitlines() if not line.startswith("#")]
    header, noon, evening = rows
    visible = header.index("visible_prefixes")
    assert (noon[0], noon[visible]) == ("2014-12-22T12:00:00Z", "4")
    assert (evening[0], evening[visible]) == ("2014-12-22T20:00:00Z", "0")


def test_graph_at_noon_has_china_unicom_upstream_of_star_jv(demo, capsys):
    out = json.loads(_run(capsys, "graph", "--store", str(demo[0]), "--country", "KP",
                          "--at", "2014-12-22T12:00:00Z"))
    nodes = {n["asn"]: n for n in out["nodes"]}
    assert nodes[131279]["role"] == "origin" and nodes[4837]["role"] == "upstream"
    assert nodes[4837]["name"].startswith("CHINA169-BACKBONE")          # the demo's AS-names file
    assert any(e["source"] == 4837 and e["target"] == 131279 and e["routes"] > 0 for e in out["edges"])
    during = json.loads(_run(capsys, "graph", "--store", str(demo[0]), "--country", "KP",
                             "--at", "2014-12-22T20:00:00Z"))
    assert not [e for e in during["edges"] if e["target"] == 131279]


def test_visible_slash24s_follow_the_visible_prefixes(demo, capsys):
    """KP's prefixes are four /24s: at every instant the visible /24s are the visible prefixes,
    also through the outage and after it (a prefix still visible at the window's end must not
    count for its neighbours)."""
    out = _run(capsys, "visibility", "--store", str(demo[0]), "--country", "KP", "--start", "2014-12-22T11:45:00Z",
               "--end", "2014-12-23T07:30:00Z", "--step", "15m")
    rows = [line.split(",") for line in out.splitlines() if not line.startswith("#")]
    header, body = rows[0], rows[1:]
    p, s = header.index("visible_prefixes"), header.index("visible_slash24")
    assert [r[s] for r in body] == [r[p] for r in body]
    assert {r[p] for r in body} == {"0", "4"}
