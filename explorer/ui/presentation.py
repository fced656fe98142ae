"""Presentation mode: full screen, large type, a light high-contrast theme that survives a projector.

Keys: F5 enters and leaves, Esc leaves, Space plays or pauses the replay, Left and Right step to the
previous or next event. Only the graph, the timeline and the replay bar stay on screen, under a banner
that always shows what the slide is about (the title: the outage at the cursor, else the window's
longest) and, on the demo, that it is the demo. Every text grows: the timeline's (ticks, labels,
legend, notes, readout) through its text scale, the graph's AS labels and every other label on a
plot by their fonts. Everything that was hidden or changed is put back on leaving.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QGraphicsView, QLabel, QMainWindow, QVBoxLayout, QWidget

import pyqtgraph as pg

FONT_PX = 22
TICK_PX = 18
TEXT_SCALE = 1.7        # the plots' texts, against their size in the window
THEME = f"""
QWidget {{ background: #ffffff; color: #000000; }}
QLabel {{ font-size: {FONT_PX}px; }}
QLabel#presentationTitle {{ font-size: {FONT_PX + 10}px; font-weight: bold; }}
QLabel#presentationDemo {{ font-size: {FONT_PX}px; color: #b22222; font-weight: bold; }}
QPushButton {{ border: 2px solid #000000; border-radius: 4px; padding: 6px 18px; background: #f2f2f2;
              font-size: {FONT_PX}px; }}
QPushButton:pressed {{ background: #d0d0d0; }}
QComboBox {{ border: 2px solid #000000; padding: 4px 10px; font-size: {FONT_PX}px; }}
QSplitter::handle {{ background: #000000; }}
"""

class Presentation(QObject):
    """Binds the keys to ``window`` (a QMainWindow with ``replay`` and the panes named below)."""

    toggled = Signal(bool)

    def __init__(self, window: QMainWindow, hide: list[QWidget], replay=None, halves=None):
        super().__init__(window)
        self.window, self.hide, self.replay, self.halves = window, hide, replay, halves
        self.active = False
        self._saved: dict = {}
        self.banner = QWidget()
        self.banner.setObjectName("presentationBanner")
        self.title = QLabel("")
        self.title.setObjectName("presentationTitle")
        self.title.setWordWrap(True)
        self.demo = QLabel("")
        self.demo.setObjectName("presentationDemo")
        self.demo.setWordWrap(True)
        col = QVBoxLayout(self.banner)
        col.setContentsMargins(12, 6, 12, 6)
        col.addWidget(self.title)
        col.addWidget(self.demo)
        self.banner.hide()
        central = window.centralWidget()
        if central is not None and central.layout() is not None:
            central.layout().insertWidget(0, self.banner)
        window.installEventFilter(self)        # a new full-screen size: the halves again
        if replay is not None:
            replay.moveTo.connect(lambda _t: self.refresh())
        timeline = getattr(window, "timeline", None)
        if timeline is not None:
            timeline.cursorMoved.connect(lambda _t: self.refresh())
        QShortcut(QKeySequence(Qt.Key.Key_F5), window, self.toggle)
        self._keys = [
            QShortcut(QKeySequence(Qt.Key.Key_Escape), window, self.leave),
            QShortcut(QKeySequence(Qt.Key.Key_Space), window, lambda: replay and replay.toggle()),
            QShortcut(QKeySequence(Qt.Key.Key_Right), window, lambda: replay and replay.next_event()),
            QShortcut(QKeySequence(Qt.Key.Key_Left), window, lambda: replay and replay.prev_event()),
        ]
        for key in self._keys:          # only in presentation mode: elsewhere these keys edit and scroll
            key.setEnabled(False)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        self._saved = {"maximized": w.isMaximized(), "geometry": w.saveGeometry(), "sheet": w.styleSheet(),
                       "menu": w.menuBar().isVisible(), "status": w.statusBar().isVisible(),
                       "hidden": [x for x in self.hide if x.isVisible()], "ticks": self._tick_fonts(),
                       "halves": self.halves.sizes() if self.halves is not None else None}
        for x in self.hide:
            x.setVisible(False)
        w.menuBar().setVisible(False)
        w.statusBar().setVisible(False)
        w.setStyleSheet(THEME)
        self._set_tick_fonts(TICK_PX)
        self._saved["texts"] = self._scale_texts(TEXT_SCALE)
        self.active = True
        self.refresh()
        self.banner.show()
        w.showFullScreen()
        if self.halves is not None:             # the graph and the timeline share the screen evenly,
            QTimer.singleShot(0, self._halve)    # once the full-screen size is in force
        self._enable(True)

    def eventFilter(self, obj, ev) -> bool:
        from PySide6.QtCore import QEvent

        if self.active and obj is self.window and ev.type() == QEvent.Type.Resize and self.halves is not None:
            QTimer.singleShot(0, self._halve)
        return False

    def _halve(self) -> None:
        total = sum(self.halves.sizes())
        self.halves.setSizes([total // 2, total - total // 2])

    def leave(self) -> None:
        if not self.active:
            return
        w, s = self.window, self._saved
        self._enable(False)
        self.banner.hide()
        self._scale_texts(1.0, s.get("texts"))
        w.setStyleSheet(s["sheet"])
        for axis, font in s["ticks"]:
            axis.setStyle(tickFont=font)
        for x in s["hidden"]:
            x.setVisible(True)
        w.menuBar().setVisible(s["menu"])
        w.statusBar().setVisible(s["status"])
        if s["halves"] is not None:
            self.halves.setSizes(s["halves"])
        w.showMaximized() if s["maximized"] else w.showNormal()
        w.restoreGeometry(s["geometry"])

    def _enable(self, on: bool) -> None:
        self.active = on
        for key in self._keys:
            key.setEnabled(on)
        self.toggled.emit(on)

    def refresh(self) -> None:
        """The banner: what the slide is about, at the cursor, and the demo label."""
        if not self.active:
            return
        from explorer.store.meta import DEMO_LABEL_KEY, get_meta
        from explorer.ui.slides import headline

        w = self.window
        self.title.setText(headline(getattr(w, "data", None), w.state) if hasattr(w, "state") else "")
        store = getattr(w, "store", None)
        label = (get_meta(store, DEMO_LABEL_KEY) if store is not None else "") or getattr(w, "note", "")
        self.demo.setText(label if not label or label.startswith("Demo:") else f"Demo: {label}")
        self.demo.setVisible(bool(label))

    def _scale_texts(self, scale: float, saved: list | None = None) -> list:
        """Every text on the plots at ``scale`` (the timeline through its own text scale, which its
        next drawing keeps); ``saved`` puts back the fonts an earlier call returned."""
        timeline = getattr(self.window, "timeline", None)
        if timeline is not None:
            timeline.set_text_scale(scale)
        if saved is not None:
            for item, font in saved:
                if item.scene() is not None:
                    item.setFont(font)
            return []
        out = []
        for view in self.window.findChildren(QGraphicsView):
            if view.scene() is None or (timeline is not None and view is timeline.canvas):
                continue
            for item in view.scene().items():
                if isinstance(item, pg.TextItem):
                    font = QFont(item.textItem.font())
                    out.append((item, font))
                    bigger = QFont(font)
                    bigger.setPixelSize(round((font.pixelSize() if font.pixelSize() > 0 else 12) * scale))
                    item.setFont(bigger)
        return out

    def _axes(self):
        for view in self.window.findChildren(QGraphicsView):
            if view.scene() is None:
                continue
            for item in view.scene().items():
                if isinstance(item, pg.AxisItem):
                    yield item

    def _tick_fonts(self) -> list:
        return [(axis, QFont(axis.style.get("tickFont") or QFont())) for axis in self._axes()]

    def _set_tick_fonts(self, px: int) -> None:
        font = QFont()
        font.setPixelSize(px)
        for axis in self._axes():
            axis.setStyle(tickFont=font)
