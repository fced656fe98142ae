"""Exports checked by their content: the PNG has the size asked for, the SVG parses and keeps the
graph's AS labels as text, the PDF's text names the country and the window, the CSV and JSON are
the analysis commands' own outputs; a briefing exports with its title, and bad requests are refused.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from explorer.briefing.briefing import Annotation, Briefing, StoreFile
from explorer.state import ViewState, parse_iso
from explorer.cli import main

NOON = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-22T11:45:00Z"),
                 end=parse_iso("2014-12-23T07:30:00Z"), step=300, at=parse_iso("2014-12-22T12:00:00Z"))
WINDOW = ["--country", "KP", "--start", "2014-12-22T11:45:00Z", "--end", "2014-12-23T07:30:00Z",
          "--at", "2014-12-22T12:00:00Z"]


@pytest.fixture
def export(demo_store_path, tmp_path):
    def _export(*argv, expect=0):
        status = main(["export", "--store", str(demo_store_path), *argv])
        assert status == expect
    return _export


def _non_blank(image: QImage, x0: int, x1: int, y0: int, y1: int) -> int:
    """Pixels that are not white in a region, sampled every 4 pixels."""
    return sum(image.pixelColor(x, y).lightness() < 200 for x in range(x0, x1, 4) for y in range(y0, y1, 4))


def test_png_has_the_requested_size_and_both_panes_drawn(export, tmp_path):
    out = tmp_path / "kp.png"
    export(*WINDOW, "--size", "1280x720", "--out", str(out))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
    assert _non_blank(image, 0, 600, 100, 560) > 200            # the graph
    assert _non_blank(image, 700, 1280, 100, 560) > 200         # the timeline
    sharp = tmp_path / "kp2.png"
    export(*WINDOW, "--size", "1280x720", "--scale", "2", "--out", str(sharp))
    assert QImage(str(sharp)).size().toTuple() == (2560, 1440)


def test_svg_parses_and_keeps_the_as_labels_as_text(export, tmp_path):
    out = tmp_path / "kp.svg"
    export(*WINDOW, "--view", "graph", "--out", str(out))
    texts = " ".join(t.text or "" for t in ET.parse(out).iter() if t.tag.endswith("text"))
    assert "AS4837" in texts and "AS131279" in texts and "AS4837 CNCGROUP China169" in texts     # its organisation
    assert "Demo: synthetic reconstruction of public reports, not measured data" in texts   # the footer too
    assert "Definitions:" in texts


def test_pdf_text_names_the_country_the_window_and_the_demo(export, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "kp.pdf"
    export(*WINDOW, "--out", str(out))
    page = PdfReader(out).pages[0]
    text = " ".join(page.extract_text().split())
    assert "KP" in text and "2014-12-22T11:45:00Z" in text and "2014-12-23T07:30:00Z" in text
    assert "Demo: synthetic reconstruction of public reports, not measured data" in text
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (1920, 1080)


def test_csv_and_json_are_the_timeline_series_and_the_graph(export, tmp_path):
    csv_out, json_out = tmp_path / "kp.csv", tmp_path / "kp.json"
    export(*WINDOW, "--mode", "slash24", "--out", str(csv_out))
    lines = csv_out.read_text().splitlines()
    assert lines[0].startswith("# definitions:") and lines[1].startswith("time,scope,visible_prefixes")
    assert len(lines) == 2 + (parse_iso("2014-12-23T07:30:00Z") - parse_iso("2014-12-22T11:45:00Z")) // 300 + 1
    export(*WINDOW, "--out", str(json_out))
    graph = json.loads(json_out.read_text())
    assert graph["at"] == "2014-12-22T12:00:00Z"
    assert any(e["source"] == 4837 and e["target"] == 131279 for e in graph["edges"])


def test_briefing_exports_with_its_title_and_names_missing_files(export, tmp_path, capsys):
    briefing = Briefing(view=NOON, title="North Korea before the outage",
                        annotations=[Annotation("16:15 UTC all four prefixes withdrawn", parse_iso("2014-12-22T16:15:00Z"))],
                        files=[StoreFile("updates.20141222.1615.gz", "0" * 64)])
    path = briefing.save(tmp_path / "b.json")
    out = tmp_path / "b.svg"
    export(str(path), "--out", str(out))
    assert "North Korea before the outage" in out.read_text()
    assert "lacks 1 of the briefing's 1 files" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.gif"], "must end in .png"),
    (["--out", "x.png"], "name a briefing file"),
    ([*WINDOW, "--size", "10x10", "--out", "x.png"], "between 200 and 16000"),
])
def test_bad_requests_are_refused(export, tmp_path, capsys, argv, message):
    export(*argv, expect=2)
    assert message in capsys.readouterr().err


def test_malformed_briefing_is_refused_and_nothing_written(export, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bgp-explorer-briefing", "version": 99}')
    export(str(bad), "--out", str(tmp_path / "x.png"), expect=2)
    assert "newer version" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_export_demo_uses_the_demo_briefing(tmp_path, monkeypatch):
    """`export --demo` with no scope: the briefing in resources/, its title and notes on the slide."""
    from explorer.briefing.briefing import load
    from explorer.resources import resource_path

    monkeypatch.setenv("BGP_EXPLORER_DEMO", str(tmp_path / "demo.duckdb"))
    demo = load(resource_path("kp-2014-12.briefing.json"))
    out = tmp_path / "demo.svg"
    assert main(["export", "--demo", "--out", str(out)]) == 0
    text = out.read_text()
    assert demo.title in text and all(note.text in text for note in demo.annotations)
