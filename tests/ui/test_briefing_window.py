"""The window's briefing tools on the demo store: notes drawn and exported, a briefing saved from
one window reopening the same view in another, presentation mode entered and left by its keys."""

from __future__ import annotations

from PySide6.QtCore import Qt

from explorer.briefing.briefing import Annotation, load
from explorer.state import ViewState, parse_iso

KP = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-22T11:45:00Z"),
               end=parse_iso("2014-12-23T07:30:00Z"), step=300, at=parse_iso("2014-12-22T20:00:00Z"))
WITHDRAWN = Annotation("16:15 UTC all four prefixes withdrawn", parse_iso("2014-12-22T16:15:00Z"))
OUTAGE = Annotation("9 h 31 min", parse_iso("2014-12-22T16:15:00Z"), parse_iso("2014-12-23T01:46:00Z"))


def test_notes_are_drawn_and_survive_a_new_view(open_window, demo_store_path, qtbot):
    from explorer.ui.offscreen import wait_until_shown

    w = open_window(demo_store_path, KP)
    w.briefing.set_notes([WITHDRAWN, OUTAGE])
    assert w.briefing.layer.texts() == [WITHDRAWN.text, OUTAGE.text]
    w.apply(KP.with_(step=900))                     # a new view rebuilds the timeline's plot
    assert wait_until_shown(w)
    qtbot.waitUntil(lambda: all(item.scene() is not None for item in w.briefing.layer.items))
    assert w.briefing.layer.texts() == [WITHDRAWN.text, OUTAGE.text]


def test_notes_appear_in_an_export(open_window, demo_store_path, tmp_path):
    from explorer.ui.export import export_widget
    from explorer.ui.slides import slide_for

    w = open_window(demo_store_path, KP)
    w.briefing.set_notes([WITHDRAWN])
    out = export_widget(w.views, slide_for(w, w.store), tmp_path / "kp.svg")
    assert WITHDRAWN.text in out.read_text()


def test_a_saved_briefing_reopens_the_same_view(open_window, demo_store_path, tmp_path):
    from explorer.ui.offscreen import wait_until_shown

    first = open_window(demo_store_path, KP.with_(timeline_mode="peers", selected_asn=4837))
    first.briefing.set_notes([WITHDRAWN, OUTAGE])
    path = first.briefing.briefing("North Korea offline").save(tmp_path / "kp.json")
    saved = load(path)
    assert saved.demo and saved.files and saved.view == first.state

    second = open_window(demo_store_path, KP.with_(at=KP.start))
    assert second.briefing.open(path) == []          # the same store: nothing missing
    assert wait_until_shown(second)
    assert second.state == first.state
    assert second.briefing.notes == [WITHDRAWN, OUTAGE]


def test_presentation_mode_keys(open_window, demo_store_path, qtbot):
    w = open_window(demo_store_path, KP)
    qtbot.keyClick(w, Qt.Key.Key_F5)
    assert w.briefing.presentation.active and w.isFullScreen()
    assert not w.topbar.isVisible() and not w.menuBar().isVisible()
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.replay.timer.isActive()                 # space plays
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert not w.replay.timer.isActive()             # and pauses
    before = w.state.cursor
    qtbot.keyClick(w, Qt.Key.Key_Right)              # the next event
    qtbot.waitUntil(lambda: w.state.cursor != before)
    assert w.state.cursor > before
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert not w.briefing.presentation.active and not w.isFullScreen()
    assert w.topbar.isVisible() and w.menuBar().isVisible()
