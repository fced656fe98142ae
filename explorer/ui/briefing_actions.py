"""The window's briefing tools: notes on the timeline, briefing files, exports, presentation mode.

``BriefingActions`` is a part of the window, made by it: it holds the notes and the briefing's
title, draws the notes (again after each new view), owns presentation mode and fills the Briefing menu.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from explorer.briefing.briefing import Annotation, Briefing, BriefingError, StoreFile, load
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import kept_files
from explorer.ui.annotations import AnnotationLayer, NotesDialog, ask_note
from explorer.ui.presentation import Presentation


class BriefingActions:
    def __init__(self, window):
        self.window = window
        self.notes: list[Annotation] = []
        self.title = ""                                 # the open briefing's, for saving and exports
        self.layer = AnnotationLayer(window.timeline)
        self.presentation = Presentation(window, hide=[window.topbar, window.outer.widget(1), window.timeline.footer],
                                         replay=window.replay,
                                         halves=window.views)
        menu = window.menuBar().addMenu("&Briefing")
        menu.addAction("&Note at the cursor...", lambda: self._note(window.state.cursor, None))
        menu.addAction("Note over the &window...", lambda: self._note(window.state.start, window.state.end))
        menu.addAction("&Edit notes...", self._edit)
        menu.addSeparator()
        menu.addAction("&Open briefing...", self._open, QKeySequence.StandardKey.Open)
        menu.addAction("&Save briefing...", self._save, QKeySequence.StandardKey.Save)
        menu.addAction("E&xport view (PNG, SVG, PDF)...", self._export)
        menu.addSeparator()
        menu.addAction("&Presentation mode\tF5", self.presentation.toggle)    # F5 itself: Presentation's shortcut

    def set_notes(self, notes) -> None:
        self.notes = list(notes)
        self.layer.set(self.notes)

    def view_shown(self) -> None:
        """A new view cleared the timeline's plot: draw the notes again (and say the new view's title
        when presenting)."""
        self.layer.redraw()
        self.presentation.refresh()

    def briefing(self, title: str | None = None) -> Briefing:
        """What the window shows, as a briefing: the view, the notes and the store's files."""
        w = self.window
        return Briefing(view=w.state, title=self.title if title is None else title, annotations=list(self.notes),
                        files=[StoreFile(p, s) for p, s in self._kept_files()],
                        demo=bool(get_meta(w.store, DEMO_LABEL_KEY)))

    def open(self, path: str | Path) -> list[StoreFile]:
        """Restore the view and notes of a briefing; returns the files it needs that the store lacks."""
        b = load(path)
        self.window.apply(b.view)
        self.set_notes(b.annotations)
        self.title = b.title
        return b.missing_from({sha for _, sha in self._kept_files()})

    def _kept_files(self) -> list[tuple[str, str]]:
        with self.window.store.reader() as con:
            return kept_files(con)

    # -- the menu --------------------------------------------------------------------------------------

    def _note(self, at: int, end: int | None) -> None:
        note = ask_note(self.window, at, end)
        if note is not None:
            self.set_notes([*self.notes, note])

    def _edit(self) -> None:
        dialog = NotesDialog(self.window, self.notes)
        if dialog.exec():
            self.set_notes(dialog.notes)

    def _open(self) -> None:
        w = self.window
        path, _ = QFileDialog.getOpenFileName(w, "Open a briefing", "", "Briefings (*.json)")
        if not path:
            return
        try:
            missing = self.open(path)
        except BriefingError as exc:
            w.show_error(str(exc))
            return
        if missing:
            names = "\n".join(f"{f.path} (sha256 {f.sha256[:12]}...)" for f in missing[:20])
            more = f"\n... and {len(missing) - 20} more" if len(missing) > 20 else ""
            w.show_error(f"This store lacks {len(missing)} of the files the briefing was made from; "
                         f"its numbers may differ. Import them to see the same view:\n{names}{more}")

    def _save(self) -> None:
        w = self.window
        path, _ = QFileDialog.getSaveFileName(w, "Save the briefing", "briefing.json", "Briefings (*.json)")
        if path:
            self.briefing().save(path)
            w.statusBar().showMessage(f"Saved {path}", 8000)

    def _export(self) -> None:
        from explorer.ui.export import ExportError, export_widget, hints
        from explorer.ui.slides import slide_for

        w = self.window
        path, _ = QFileDialog.getSaveFileName(w, "Export the view", "view.png", "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)")
        if not path:
            return
        try:
            export_widget(w.views, slide_for(w, w.store, self.title or None), path, hide=hints(w))
        except ExportError as exc:
            w.show_error(str(exc))
            return
        w.statusBar().showMessage(f"Exported {path}", 8000)
