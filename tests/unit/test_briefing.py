"""Briefing files: an exact round trip, and every malformed or hostile file refused whole with a clear error."""

from __future__ import annotations

import json

import pytest

from explorer.briefing.briefing import Annotation, Briefing, BriefingError, StoreFile, load
from explorer.state import ViewState, parse_iso

SHA = "a" * 64


def _briefing() -> Briefing:
    view = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-19T00:00:00Z"),
                     end=parse_iso("2014-12-24T00:00:00Z"), step=300, at=parse_iso("2014-12-22T20:00:00Z"),
                     definitions={"full_feed": "share:0.5", "threshold": 0.5}, timeline_mode="peers",
                     selected_asn=4837)
    return Briefing(view=view, title="North Korea offline", demo=True, created="2026-11-23T18:00:00Z",
                    annotations=[Annotation("16:15 UTC all four prefixes withdrawn", parse_iso("2014-12-22T16:15:00Z")),
                                 Annotation("9 h 31 min outage", parse_iso("2014-12-22T16:15:00Z"),
                                            parse_iso("2014-12-23T01:46:00Z"))],
                    files=[StoreFile("demo-rrc00/2014.12/updates.20141222.1615.gz", SHA)])


def test_round_trip_is_exact(tmp_path):
    b = _briefing()
    path = b.save(tmp_path / "kp.json")
    again = load(path)
    assert again == b
    assert again.to_dict() == b.to_dict()
    assert again.view.at - again.view.start == 3 * 86400 + 20 * 3600      # 19 Dec 00:00 -> 22 Dec 20:00
    assert not (tmp_path / "kp.json.part").exists()


def test_missing_store_files_are_named():
    b = _briefing()
    assert b.missing_from({SHA}) == []
    assert [f.path for f in b.missing_from(set())] == ["demo-rrc00/2014.12/updates.20141222.1615.gz"]


def _write(tmp_path, doc) -> str:
    path = tmp_path / "b.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(version=2), "newer version"),
    (lambda d: d.update(version="1"), '"version"'),
    (lambda d: d.update(format="something"), "not a briefing"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d.update(title=["x"]), '"title"'),
    (lambda d: d.update(title="x" * 5000), "5,000 characters"),
    (lambda d: d["view"].update(step="300"), '"view.step"'),
    (lambda d: d["view"].update(step=True), '"view.step"'),
    (lambda d: d["view"].update(scope_kind="planet"), "scope kind"),
    (lambda d: d["view"].update(end="2014-12-01T00:00:00Z"), "before it starts"),
    (lambda d: d["view"].update(start=10**30), "outside 1970-2100"),
    (lambda d: d["view"].update(selected_asn=-1), "selected_asn"),
    (lambda d: d["view"].update(__class__="x"), "unknown view-state field"),
    (lambda d: d["view"].update(definitions={"x": {"nested": 1}}), "definitions"),
    (lambda d: d["view"].update(definitions={"bogus": 1}), "does not exist"),
    (lambda d: d["view"].update(definitions={"threshold": 7}), "visibility threshold 7"),
    (lambda d: d.update(annotations={"text": "x"}), '"annotations" is a object'),
    (lambda d: d["annotations"].append({"text": "x"}), "annotations[2]"),
    (lambda d: d["annotations"].append({"text": "x", "start": "yesterday"}), "cannot read time"),
    (lambda d: d["annotations"].extend([{"text": "x", "start": 0}] * 501), "at most 500"),
    (lambda d: d["store"]["files"].append({"path": "/etc/passwd", "sha256": "../../x"}), "sha256"),
    (lambda d: d["store"]["files"].append({"path": "x\u0000y", "sha256": SHA}), "NUL"),
    (lambda d: d["store"].update(demo="yes"), "store.demo"),
])
def test_malformed_briefings_are_refused(tmp_path, change, message):
    doc = _briefing().to_dict()
    change(doc)
    with pytest.raises(BriefingError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        load(_write(tmp_path, doc))
    assert "b.json" in str(err.value)            # the message names the file


@pytest.mark.parametrize("text, message", [
    ("", "not valid JSON at line 1"),
    ("{\"format\": ", "not valid JSON"),
    ("[1, 2]", "top level is a JSON list"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply|not valid JSON"),
])
def test_not_json_or_not_an_object(tmp_path, text, message):
    with pytest.raises(BriefingError, match=message):
        load(_write(tmp_path, text))


def test_huge_and_binary_files_are_refused(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (5 << 20))
    with pytest.raises(BriefingError, match="is not a briefing"):
        load(big)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BriefingError, match="not UTF-8"):
        load(binary)
    with pytest.raises(BriefingError, match="cannot open"):
        load(tmp_path / "absent.json")
