"""The window without a screen: built offscreen for one view, painted, then grabbed to a PNG
(``render_png``: screenshots) or drawn as a slide (``render_export``: PNG, SVG, PDF with a title,
the role legend, the definitions in force and where the data came from).

The caller opens the store (the command line opens it read-only, so several exports run at once).
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from explorer.briefing.briefing import Annotation
from explorer.state import ViewState

VIEWS = ("both", "graph", "timeline")


def app_instance():
    from PySide6.QtWidgets import QApplication

    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="#333333")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("BGP History Explorer")
    app.setOrganizationName("bgp-explorer")
    return app


def wait_until_shown(window, timeout_s: float = 60.0) -> bool:
    """Process events until the view and the graph at the cursor are painted (or an error is shown)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if window.error or (window.data is not None and window.graph is not None
                            and window.worker.idle_on("view", "graph") and window.graph.at == window.state.cursor):
            QApplication.processEvents()
            return True
        time.sleep(0.005)
    return False


@contextmanager
def offscreen_window(store, state: ViewState, size: tuple[int, int] = (1920, 1080), note: str = "",
                     annotations=()):
    """The window for ``state`` on ``store``, offscreen, at ``size``, with its view loaded and the
    graph at the cursor painted. For screenshots and exports; closed afterwards. A view that cannot be
    shown as asked raises ValueError (the command line's exit status 2), any other failure RuntimeError."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app_instance()
    from explorer.ui.window import ExplorerWindow

    w = ExplorerWindow(store, state, remember=False, note=note)
    try:
        w.resize(*size)
        w.show()
        if (w.width(), w.height()) != tuple(size):
            smallest = w.minimumSizeHint()
            raise RuntimeError(f"the window cannot be drawn at {size[0]}x{size[1]}: it needs at least "
                               f"{smallest.width()}x{smallest.height()} pixels")
        if annotations:
            w.briefing.set_notes(annotations)
        if not wait_until_shown(w):
            raise RuntimeError(f"the view did not finish loading within 60 s ({state.describe()})")
        if w.error:             # the user's own (an unknown country, no data in the window), or ours
            raise (RuntimeError if w.error_details else ValueError)(w.error)
        yield w
    finally:
        w.close()


def render_png(store, state: ViewState, out: Path, size: tuple[int, int] = (1920, 1080), note: str = "") -> Path:
    """Render the window for ``state`` offscreen into ``out``."""
    with offscreen_window(store, state, size, note) as w:
        out.parent.mkdir(parents=True, exist_ok=True)
        w.grab().save(str(out))
    return out


def render_export(store, state: ViewState, out: Path, *, view: str = "both", size: tuple[int, int] = (1920, 1080),
                  scale: float = 1.0, title: str | None = None, annotations: list[Annotation] | None = None,
                  note: str = "") -> Path:
    """Build the window offscreen for ``state`` and write ``view`` of it to ``out`` (png, svg, pdf)."""
    if view not in VIEWS:
        raise ValueError(f"view {view!r}: one of {', '.join(VIEWS)}")
    from PySide6.QtCore import QSize

    from explorer.ui.export import export_widget, hints
    from explorer.ui.slides import slide_for

    with offscreen_window(store, state, size, note, annotations or ()) as w:
        pane = {"both": w.views, "graph": w.graph_pane, "timeline": w.timeline}[view]
        return export_widget(pane, slide_for(w, store, title, view), out, QSize(*size), scale, hide=hints(w))
