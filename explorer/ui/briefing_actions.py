"""The window's briefing tools: notes on the timeline, briefing files, exports, presentation mode.

``install(window)`` adds the Briefing menu and the presentation keys to an ExplorerWindow, and gives
it ``annotations`` and ``set_annotations``; the window itself knows nothing of them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from explorer.briefing.briefing import Briefing, BriefingError, StoreFile, load
from explorer.store.queries import kept_files
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.ui.annotations import AnnotationLayer, NotesDialog, ask_note
from explorer.ui.presentation import Presentation


def install(window) -> None:
    layer = AnnotationLayer(window.timeline.main)
    window.annotations = []
    window.annotation_layer = layer

    def set_annotations(notes) -> None:
        window.annotations = list(notes)
        layer.set(window.annotations)

    window.set_annotations = set_annotations
    # a new view clears the timeline's plot: draw the notes again once it is painted
    window.worker.finished.connect(lambda channel, _result: channel == "view" and layer.redraw())
    window.presentation = Presentation(window, hide=[window.topbar, window.outer.widget(1)], replay=window.replay,
                                       halves=window.views)

    menu = window.menuBar().addMenu("&Briefing")
    menu.addAction("&Note at the cursor...", lambda: _note(window, window.state.cursor, None))
    menu.addAction("Note over the &window...", lambda: _note(window, window.state.start, window.state.end))
    menu.addAction("&Edit notes...", lambda: _edit(window))
    menu.addSeparator()
    menu.addAction("&Open briefing...", lambda: _open(window), QKeySequence.StandardKey.Open)
    menu.addAction("&Save briefing...", lambda: _save(window), QKeySequence.StandardKey.Save)
    menu.addAction("E&xport view (PNG, SVG, PDF)...", lambda: _export(window))
    menu.addSeparator()
    menu.addAction("&Presentation mode\tF5", window.presentation.toggle)    # F5 itself: Presentation's shortcut


def _note(window, at: int, end: int | None) -> None:
    note = ask_note(window, at, end)
    if note is not None:
        window.set_annotations([*window.annotations, note])


def _edit(window) -> None:
    dialog = NotesDialog(window, window.annotations)
    if dialog.exec():
        window.set_annotations(dialog.notes)


def briefing_of(window, title: str = "") -> Briefing:
    """What the window shows, as a briefing: the view, the notes and the store's files."""
    return Briefing(view=window.state, title=title, annotations=list(window.annotations),
                    files=[StoreFile(p, s) for p, s in _kept_files(window)],
                    demo=bool(get_meta(window.store, DEMO_LABEL_KEY)))


def open_briefing(window, path: str | Path) -> list[StoreFile]:
    """Restore the view and notes of a briefing; returns the files it needs that the store lacks."""
    b = load(path)
    window.apply(b.view)
    window.set_annotations(b.annotations)
    window.briefing_title = b.title
    return b.missing_from({sha for _, sha in _kept_files(window)})


def _kept_files(window) -> list[tuple[str, str]]:
    con = window.store.cursor()
    try:
        return kept_files(con)
    finally:
        con.close()


def _open(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open a briefing", "", "Briefings (*.json)")
    if not path:
        return
    try:
        missing = open_briefing(window, path)
    except BriefingError as exc:
        window.show_error(str(exc))
        return
    if missing:
        names = "\n".join(f"{f.path} (sha256 {f.sha256[:12]}...)" for f in missing[:20])
        more = f"\n... and {len(missing) - 20} more" if len(missing) > 20 else ""
        window.show_error(f"This store lacks {len(missing)} of the files the briefing was made from; "
                          f"its numbers may differ. Import them to see the same view:\n{names}{more}")


def _save(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Save the briefing", "briefing.json", "Briefings (*.json)")
    if path:
        briefing_of(window, getattr(window, "briefing_title", "")).save(path)
        window.statusBar().showMessage(f"Saved {path}", 8000)


def _export(window) -> None:
    from explorer.ui.export import ExportError, export_widget
    from explorer.ui.slides import slide_for

    path, _ = QFileDialog.getSaveFileName(window, "Export the view", "view.png",
                                          "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)")
    if not path:
        return
    try:
        export_widget(window.views, slide_for(window, window.store, getattr(window, "briefing_title", "") or None),
                      path)
    except ExportError as exc:
        window.show_error(str(exc))
        return
    window.statusBar().showMessage(f"Exported {path}", 8000)
