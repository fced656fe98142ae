"""Replay: play, pause, speed, and step to the next or previous event.

The cursor jumps from one routing change to the next (every instant at which a route of the scope
starts or ends); changes with the same timestamp are applied together, as BGPlay does. Events
(outages, instability) are the coarser steps of the previous/next buttons.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.viewmodel.view import ViewData

SPEEDS = [("1 change/s", 1000), ("4 changes/s", 250), ("10 changes/s", 100), ("30 changes/s", 33)]


def change_instants(d: ViewData) -> np.ndarray:
    """Distinct instants (seconds) inside the window at which some route of the scope starts or ends
    (found with the view, on the query worker: ``viewmodel.view.change_instants``)."""
    return d.changes


class Replay(QObject):
    moveTo = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.step_forward)
        self.changes = np.zeros(0, np.int64)
        self.events: list[int] = []
        self.at = 0
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(6, 0, 6, 0)
        self.prev_b = QPushButton("|< Event")
        self.play_b = QPushButton("Play")
        self.play_b.setObjectName("playButton")
        self.next_b = QPushButton("Event >|")
        self.speed = QComboBox()
        for text, ms in SPEEDS:
            self.speed.addItem(text, ms)
        self.speed.setCurrentIndex(1)
        self.status = QLabel("")
        for w in (self.prev_b, self.play_b, self.next_b, QLabel("speed"), self.speed, self.status):
            row.addWidget(w)
        row.addStretch(1)
        self.prev_b.clicked.connect(self.prev_event)
        self.next_b.clicked.connect(self.next_event)
        self.play_b.clicked.connect(self.toggle)
        self.speed.currentIndexChanged.connect(lambda: self.timer.setInterval(int(self.speed.currentData())))

    def set_view(self, d: ViewData) -> None:
        self.pause()
        self.changes = change_instants(d)
        self.events = sorted({e.start for e in d.events} | {e.end for e in d.events if e.kind == "outage"})
        self.status.setText(f"{len(self.changes):,} routing changes, {len(d.events)} events in the window")

    def set_cursor(self, t: int) -> None:
        self.at = int(t)

    def toggle(self) -> None:
        self.pause() if self.timer.isActive() else self.play()

    def play(self) -> None:
        self.timer.start(int(self.speed.currentData()))
        self.play_b.setText("Pause")

    def pause(self) -> None:
        self.timer.stop()
        self.play_b.setText("Play")

    def step_forward(self) -> None:
        i = int(np.searchsorted(self.changes, self.at, "right"))
        if i >= len(self.changes):
            self.pause()
            return
        self._go(int(self.changes[i]))

    def next_event(self) -> None:
        later = [t for t in self.events if t > self.at]
        if later:
            self._go(later[0])

    def prev_event(self) -> None:
        earlier = [t for t in self.events if t < self.at]
        if earlier:
            self._go(earlier[-1])

    def _go(self, t: int) -> None:
        self.at = t
        self.moveTo.emit(t)
