"""Issue 12's slides, on real widgets offscreen: labels that never collide, axes that count and date,
the share of routes by upstream, spans the store cannot speak for, the events table, a slide that says
what happened (title, one compact footer, no hints, the events as a PDF's second page), an SVG whose
outage edges are where the PNG's are (read back through QtSvg and librsvg), and presentation mode.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from explorer.cli import main
from explorer.state import ViewState, parse_iso

KP = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-22T11:45:00Z"),
               end=parse_iso("2014-12-23T07:30:00Z"), step=300, at=parse_iso("2014-12-22T20:00:00Z"))
WINDOW = ["--country", "KP", "--start", "2014-12-22T11:45:00Z", "--end", "2014-12-23T07:30:00Z",
          "--at", "2014-12-22T20:00:00Z"]
TITLE = "North Korea: all 4 prefixes withdrawn, Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC"


def _settle(qtbot):
    qtbot.wait(50)


@pytest.mark.parametrize("size", [(1280, 720), (1600, 900), (1920, 1080)])
def test_outage_labels_cover_no_label_the_legend_the_data_or_the_cursor(open_window, demo_store_path, qtbot, size):
    w = open_window(demo_store_path, KP, size=size)
    _settle(qtbot)
    t = w.timeline
    shown = [(item.toPlainText(), item.mapRectToScene(item.boundingRect())) for item, *_ in t._labels
             if item.isVisible()]
    texts = [text for text, _ in shown]
    assert texts[0].startswith("Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC (9 h 31 min)") or texts[0].startswith("16:15 - 01:46")
    assert any("06:40 - 07:12" in text for text in texts)
    rects = [r for _, r in shown]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (texts, a, b)
    band, plot = t.band.sceneBoundingRect(), t.main.vb.sceneBoundingRect()
    for r in rects:
        assert band.adjusted(-1, -1, 1, 1).contains(r) and not r.intersects(plot)   # above the plot: not on the cursor
    assert t.legend.geometry().bottom() < t.canvas.geometry().top()                   # the legend outside the data


def test_axes_count_whole_numbers_from_0_and_date_the_days_in_utc(open_window, demo_store_path, qtbot):
    w = open_window(demo_store_path, KP)
    t = w.timeline
    (lo, hi), (ylo, yhi) = t.main.vb.viewRange()
    (_, values), = t.axes["main"].tickValues(ylo, yhi, t.main.vb.height())
    assert 0 in values and all(v == int(v) for v in values) and max(values) == 4
    (spacing, xs), = t.time_axis.tickValues(lo, hi, t.main.vb.width())
    labels = t.time_axis.tickStrings(xs, 1, spacing)
    assert "Tue 23 Dec" in labels and all(re.fullmatch(r"\d\d:\d\d|\w{3} \d+ \w{3}", s) for s in labels), labels
    assert "UTC" in t.time_axis.labelText
    # the updates strip: a bar is never under a pixel wide, zoomed out or in
    t.set_range(KP.start - 30 * 86400, KP.end + 30 * 86400)
    qtbot.waitUntil(lambda: all(bars.opts["pen"].widthF() >= 1 for bars, *_ in t._bars))
    t.set_range(parse_iso("2014-12-22T16:00:00Z"), parse_iso("2014-12-22T16:30:00Z"))
    qtbot.waitUntil(lambda: all(bars.opts["pen"].widthF() > 10 for bars, *_ in t._bars), timeout=10_000)


def test_the_share_of_routes_shows_intelsat_and_its_loss(open_window, demo_store_path):
    from explorer.demo.cast import KP_PREFIXES

    w = open_window(demo_store_path, KP.with_(at=parse_iso("2014-12-22T12:00:00Z"), timeline_mode="share"))
    d = w.data
    noon, after = d.index_at(parse_iso("2014-12-22T12:00:00Z")), d.index_at(parse_iso("2014-12-23T02:30:00Z"))
    con = w.store.cursor()
    via = dict(con.execute(f"""
        SELECT split_part(i.path, ' ', -2)::INTEGER, count(*) FROM intervals i JOIN prefixes p USING (prefix_id)
        WHERE p.prefix IN ('{"','".join(KP_PREFIXES)}') AND i.start_ts <= TIMESTAMP '2014-12-22 12:00:00'
          AND (i.end_ts IS NULL OR i.end_ts > TIMESTAMP '2014-12-22 12:00:00') GROUP BY 1""").fetchall())
    con.close()
    assert {u: int(s[noon]) for u, s in d.upstream_routes.items() if s[noon]} == via and via[22351] > 0
    assert d.upstream_routes[22351][after] == 0 and d.upstream_routes[4837][after] > 0      # Intelsat lost
    assert 22351 not in d.by_upstream          # no prefix visible through it: only the share mode tells
    assert "AS22351" in w.timeline.legend.text() and "AS22351" in w.timeline.readout.text()
    assert f"{100 * via[22351] / sum(via.values()):.0f}%" in w.timeline.readout.text()


def test_spans_the_store_cannot_speak_for_are_shaded_labelled_and_no_outage(open_window, kp_store_path, qtbot):
    """Update files alone: before the first element of the scope, '0 of 4 visible' would be a guess."""
    state = ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=parse_iso("2015-10-23T02:00:00Z"),
                      end=parse_iso("2015-10-23T02:03:00Z"), step=10, at=parse_iso("2015-10-23T02:00:30Z"))
    w = open_window(kp_store_path, state)
    _settle(qtbot)
    con = w.store.cursor()
    first = con.execute("""SELECT epoch_us(min(start_ts)) FROM intervals i JOIN prefixes p USING (prefix_id)
                           WHERE p.prefix LIKE '175.45.17_.0/24'""").fetchone()[0]
    con.close()
    (gap,) = w.data.gaps
    assert (gap.kind, gap.start, gap.end) == ("before", state.start * 1_000_000, first)
    assert not [e for e in w.data.events if e.kind == "outage"]
    assert "state unknown" in w.timeline.readout.text() and "0 of 4" not in w.timeline.readout.text()
    t = w.timeline
    assert any(abs(a) < 1e-6 and abs(b - (first / 1e6 - t.origin)) < 1e-3 for _r, a, b, _m in t._spans)
    assert any(item.isVisible() and item.toPlainText().startswith("state unknown") for item, *_ in t._labels)
    w.move_cursor(parse_iso("2015-10-23T02:02:00Z"))
    assert "4 of 4 prefixes visible" in w.timeline.readout.text()


def test_the_events_table_lists_each_prefix_under_its_outage(open_window, demo_store_path):
    w = open_window(demo_store_path, KP)
    rows = [[c.strip() for c in r] for r in w.events.rows()]
    i = rows.index(["outage", "Mon 22 Dec 16:15", "Tue 23 Dec 01:46", "9 h 31 min", "all 4 prefixes withdrawn",
                    "4", "4", "100%"])
    assert [r[4] for r in rows[i + 1:i + 5]] == [f"175.45.{n}.0/24 withdrawn" for n in (176, 177, 178, 179)]
    assert all(r[1:4] == ["Mon 22 Dec 16:15", "Tue 23 Dec 01:46", "9 h 31 min"] for r in rows[i + 1:i + 5])


@pytest.fixture
def export(demo_store_path):
    def _export(*argv):
        assert main(["export", "--store", str(demo_store_path), *argv]) == 0
    return _export


def test_a_slide_says_what_happened_once_and_its_second_page_lists_the_events(export, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "kp.pdf"
    export(*WINDOW, "--size", "1280x720", "--out", str(out))
    pages = PdfReader(out).pages
    assert len(pages) == 2
    first, second = (" ".join(p.extract_text().replace("\ufb01", "fi").split()) for p in pages)   # fi: a ligature
    assert TITLE in first
    assert first.count("Definitions:") == 1 and "full feed" in first
    assert not re.search(r"drag|hover|click|wheel", first, re.I)            # no interactive hints in a slide
    assert "Events: North Korea" in second and "9 h 31 min" in second and "175.45.177.0/24 withdrawn" in second
    assert "Tue 23 Dec 06:40" in second and "32 min" in second
    svg = tmp_path / "kp.svg"
    export(*WINDOW, "--size", "1280x720", "--out", str(svg))
    texts = [(float(t.get("y", 0)), "".join(t.itertext())) for t in ET.parse(svg).iter() if t.tag.endswith("text")]
    footer_top = min(y for y, text in texts if text.startswith("Definitions:"))
    assert footer_top > 0.86 * 720                                           # the footer: under 14% of the slide
    assert sum(text.count("Definitions:") for _, text in texts) == 1


PINK = (lambda c: c.red() > 230 and 185 < c.green() < 235 and 185 < c.blue() < 235 and c.red() - c.green() > 15)


def _runs(image: QImage, y: int) -> list[tuple[int, int]]:
    """[first, last] x of the pink (outage-shaded) runs of a row, gaps of 5 px bridged (grid lines, the cursor)."""
    xs = [x for x in range(image.width()) if PINK(image.pixelColor(x, y))]
    runs = []
    for x in xs:
        if runs and x - runs[-1][1] <= 6:
            runs[-1][1] = x
        else:
            runs.append([x, x])
    return [(a, b) for a, b in runs if b - a >= 2]


def _svg_outages(path) -> list[tuple[float, float, float, float]]:
    """(x0, x1, y0, y1) of the outage shading in the SVG (fill #d7191c at the outage's opacity), device px."""
    out = []
    for g in ET.parse(path).iter("{http://www.w3.org/2000/svg}g"):
        if g.get("fill") != "#d7191c" or not 0.1 < float(g.get("fill-opacity", 1)) < 0.3:
            continue
        assert g.get("transform") is None                     # baked: device coordinates
        for shape in g:
            nums = [float(v) for v in re.findall(r"-?\d+\.?\d*", shape.get("d") or shape.get("points") or "")]
            if shape.tag.endswith("rect"):
                x, y, w_, h = (float(shape.get(k)) for k in ("x", "y", "width", "height"))
                out.append((x, x + w_, y, y + h))
            elif nums:
                xs, ys = nums[0::2], nums[1::2]
                out.append((min(xs), max(xs), min(ys), max(ys)))
    return out


def test_the_svg_draws_the_outages_where_the_png_does_read_by_qtsvg_and_librsvg(export, tmp_path):
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgRenderer

    svg, png = tmp_path / "kp.svg", tmp_path / "kp.png"
    for out in (svg, png):
        export(*WINDOW, "--view", "timeline", "--size", "1280x720", "--out", str(out))
    text = svg.read_text()
    assert "non-scaling-stroke" not in text and "<image" not in text and "e+09" not in text
    shades = _svg_outages(svg)
    tallest = max(y1 - y0 for *_, y0, y1 in shades)
    main = sorted((x0, x1, y0, y1) for x0, x1, y0, y1 in shades if y1 - y0 > 0.6 * tallest)
    assert len(main) == 2, shades                                # both outages, the second one too
    (a0, a1, y0, y1), (b0, b1, *_) = main
    hours = (a1 - a0) / (b1 - b0)
    assert abs(hours - (9 * 60 + 31) / 32) < 0.6                 # 9 h 31 min against 32 min, to the pixel
    row = round((y0 + y1) / 2)
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        pytest.skip("rsvg-convert is not installed (Debian: apt-get install librsvg2-bin; make test installs it)")
    renders = {"png": QImage(str(png))}
    qt = QImage(1280, 720, QImage.Format.Format_ARGB32)
    qt.fill(0xFFFFFFFF)
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid()
    p = QPainter(qt)
    renderer.render(p)
    p.end()
    renders["qtsvg"] = qt
    subprocess.run([rsvg, "-w", "1280", "-h", "720", "-b", "white", "-o", str(tmp_path / "rsvg.png"), str(svg)],
                   check=True)
    renders["rsvg"] = QImage(str(tmp_path / "rsvg.png"))
    for name, image in renders.items():
        runs = _runs(image, row)
        assert len(runs) == 2, (name, runs)
        for (x0, x1), (s0, s1, *_) in zip(runs, main):
            # within 2.5 px: the edges are antialiased and the total's 2.5 px line falls on them (the bug
            # this guards against put the drop 1 h 22 min early, some 30 px here, and lost the second outage)
            assert abs(x0 - s0) <= 2.5 and abs(x1 - s1) <= 2.5, (name, runs, main)


def test_presentation_mode_scales_every_text_and_keeps_the_title_and_demo_label(open_window, demo_store_path, qtbot):
    from explorer.briefing.briefing import Annotation
    from explorer.ui.presentation import TEXT_SCALE

    w = open_window(demo_store_path, KP)
    w.briefing.set_notes([Annotation("16:15 UTC: all four prefixes withdrawn", parse_iso("2014-12-22T16:15:00Z"))])
    t = w.timeline
    px = lambda item: item.textItem.font().pixelSize()      # noqa: E731
    label, note = t._labels[0][0], w.briefing.layer.items[0].label
    graph = lambda: [r[3] for _, r in w.graph_pane.label_rects()]      # noqa: E731 -- the AS labels' heights
    before = (px(label), px(note), graph(), t.legend.font().pixelSize())
    w.briefing.presentation.enter()
    qtbot.waitUntil(lambda: w.briefing.presentation.banner.isVisible())
    assert t.scale == TEXT_SCALE and px(label) >= 1.5 * before[0] and px(note) >= 1.5 * before[1]
    assert graph() and min(graph()) >= 1.5 * min(before[2])
    banner = w.briefing.presentation
    assert banner.title.text() == TITLE and banner.demo.text().startswith("Demo: synthetic reconstruction")
    w.move_cursor(parse_iso("2014-12-23T06:50:00Z"))                     # the second outage: the title follows
    w.briefing.presentation.refresh()
    assert banner.title.text() == "North Korea: all 4 prefixes withdrawn, Tue 23 Dec 06:40 - 07:12 UTC"
    w.briefing.presentation.leave()
    assert t.scale == 1.0 and not banner.banner.isVisible()
    qtbot.waitUntil(lambda: graph() and max(graph()) == max(before[2]))
    assert px(label) == before[0]
