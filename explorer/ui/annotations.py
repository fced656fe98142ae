"""Notes pinned to the timeline: a dashed line at an instant, or a shaded span, each with its text.

The layer draws on the timeline's main plot, at the pane's x (seconds since its origin), each text to
the right of its line, and draws again after the plot is rebuilt (a new view clears it); the notes
themselves are plain ``Annotation`` objects that a briefing saves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QInputDialog, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout)

import pyqtgraph as pg

from explorer.briefing.briefing import MAX_TEXT, Annotation
from explorer.ui.style import utc

INK = "#1f4e9c"
# Where along the line each note's label sits (0 bottom, 1 top), in turn: notes close in time do not
# print over each other, and the top stays free for the legend and the outages' labels.
_LABEL_HEIGHTS = (0.6, 0.45, 0.3, 0.15)


class AnnotationLayer:
    def __init__(self, pane):
        self.pane = pane                    # the TimelinePane: its main plot, origin and text size
        self.plot: pg.PlotItem = pane.main
        pane.on_relayout.append(self.place)
        self.notes: list[Annotation] = []
        self.items: list = []

    def set(self, notes: list[Annotation]) -> None:
        self.notes = list(notes)
        self.redraw()

    def redraw(self) -> None:
        for item in self.items:
            if item.scene() is not None:
                self.plot.removeItem(item)
        self.items = []
        o = self.pane.origin
        for i, note in enumerate(self.notes):
            if note.end is not None:
                span = pg.LinearRegionItem(values=(note.start - o, note.end - o), movable=False,
                                           brush=pg.mkBrush(31, 78, 156, 35), pen=pg.mkPen(INK, width=1))
                span.setZValue(-5)
                self._add(span)
            line = pg.InfiniteLine(pos=note.start - o, angle=90, movable=False,
                                   pen=pg.mkPen(INK, width=2, style=Qt.PenStyle.DashLine),
                                   label=note.text, labelOpts={"position": _LABEL_HEIGHTS[i % len(_LABEL_HEIGHTS)],
                                                               "color": INK, "movable": False,
                                                               "anchors": [(0, 0.5), (0, 0.5)],    # right of the line
                                                               "fill": pg.mkBrush(255, 255, 255, 220)})
            line.label.setFont(self.pane.font(12))
            self._add(line)
        self.place()

    def place(self) -> None:
        """Each note's text to the right of its line; to its left only where the right has no room."""
        vb = self.plot.getViewBox()
        (lo, hi), width = vb.viewRange()[0], float(vb.width() or 0)
        if width <= 0 or hi <= lo:
            return
        for item in self.items:
            if isinstance(item, pg.InfiniteLine):
                item.label.setFont(self.pane.font(12))          # the pane's text size (presentation mode)
                px = (item.value() - lo) / (hi - lo) * width
                right = px + item.label.boundingRect().width() + 4 <= width
                item.label.anchors = [(0, 0.5), (0, 0.5)] if right else [(1, 0.5), (1, 0.5)]
                item.label.updatePosition()

    def _add(self, item) -> None:
        self.plot.addItem(item, ignoreBounds=True)
        self.items.append(item)

    def texts(self) -> list[str]:
        """What is drawn, for tests: the labels on the plot."""
        return [item.label.textItem.toPlainText() for item in self.items if isinstance(item, pg.InfiniteLine)]


def ask_note(parent, at: int, end: int | None = None, text: str = "") -> Annotation | None:
    where = utc(at, True) if end is None else f"{utc(at, True)} to {utc(end, True)}"
    value, ok = QInputDialog.getText(parent, "Note on the timeline", f"Note at {where}:", text=text)
    value = value.strip()[:MAX_TEXT]
    return Annotation(value, at, end) if ok and value else None


class NotesDialog(QDialog):
    """The notes of the view: edit a text (double click), remove one, or close."""

    def __init__(self, parent, notes: list[Annotation]):
        super().__init__(parent)
        self.setWindowTitle("Notes on the timeline")
        self.notes = list(notes)
        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(self._edit)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        for w in (self.list, remove, buttons):
            col.addWidget(w)
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        for i, note in enumerate(self.notes):
            when = utc(note.start) if note.end is None else f"{utc(note.start)} to {utc(note.end)}"
            QListWidgetItem(f"{when}: {note.text}", self.list)

    def _edit(self, item) -> None:
        i = self.list.row(item)
        note = ask_note(self, self.notes[i].start, self.notes[i].end, self.notes[i].text)
        if note is not None:
            self.notes[i] = note
            self._fill()

    def _remove(self) -> None:
        i = self.list.currentRow()
        if i >= 0:
            del self.notes[i]
            self._fill()
