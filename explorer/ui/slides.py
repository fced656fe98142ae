"""The text around an exported view (``export.export_widget``): a title, the role legend, the
definitions in force and where the data came from, from what the window shows."""

from __future__ import annotations

from datetime import datetime, timezone

from explorer.state import ViewState, iso
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import kept_summary

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
