"""Headless exports of a view: the window is built offscreen for the view, then its panes are
painted as a slide (``export.export_widget``) with a title, the role legend, the definitions in
force and where the data came from.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from explorer.briefing.briefing import Annotation
from explorer.state import ViewState, iso
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import kept_summary

VIEWS = ("both", "graph", "timeline")


def provenance(store) -> str:
    """Which data: the store, its collectors, sessions and files."""
    with store.reader() as con:
        kept = kept_summary(con)
    span = f", {_minute(kept.first)} to {_minute(kept.last)} UTC" if kept.first is not None else ""
    return (f"Data: store {store.path.name}: {kept.files:,} MRT files{span}; collectors "
            f"{', '.join(kept.collectors) or '-'}; {kept.sessions:,} peer sessions")


def _minute(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def slide_for(window, store, title: str | None = None, view: str = "both"):
    """The text around the picture, from what the window shows."""
    from explorer.ui.export import Slide
    from explorer.ui.style import LOST, ROLE_COLOURS

    state: ViewState = window.state
    data = window.data
    label = (data.label if data is not None and getattr(data, "label", "") else state.scope)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    footer = [f"Definitions: {data.definitions}" if data is not None else "Definitions: defaults",
              provenance(store),
              f"Window {iso(state.start)} to {iso(state.end)}, every {state.step} s; cursor {iso(state.cursor)}; "
              f"made {made} by BGP History Explorer"]
    demo = get_meta(store, DEMO_LABEL_KEY)
    if demo:
        footer.append(demo if demo.startswith("Demo:") else f"Demo: {demo}")
    legend = ([(role, colour) for role, colour in ROLE_COLOURS.items()] + [("lost since the window's start", LOST)]
              if view != "timeline" else [])          # the timeline's own legend names its series
    return Slide(title=title or f"{label}: routing from {iso(state.start)[:10]} to {iso(state.end)[:10]}",
                 subtitle=state.describe(), legend=legend, footer=footer)


def render_export(store_path: Path, state: ViewState, out: Path, *, view: str = "both",
                  size: tuple[int, int] = (1920, 1080), scale: float = 1.0, title: str | None = None,
                  annotations: list[Annotation] | None = None, note: str = "") -> Path:
    """Build the window offscreen for ``state`` and write ``view`` of it to ``out`` (png, svg, pdf)."""
    if view not in VIEWS:
        raise ValueError(f"view {view!r}: one of {', '.join(VIEWS)}")
    from PySide6.QtCore import QSize

    from explorer.ui.app import offscreen_window
    from explorer.ui.export import export_widget

    with offscreen_window(store_path, state, size, note, annotations or ()) as (w, store):
        pane = {"both": w.views, "graph": w.graph_pane, "timeline": w.timeline}[view]
        return export_widget(pane, slide_for(w, store, title, view), out, QSize(*size), scale)
