"""The text around an exported view (``export.export_widget``) and on the presentation banner: a title
that says what happened ("North Korea: all 4 prefixes withdrawn, Mon 22 Dec 16:15 - Tue 23 Dec 01:46
UTC"), the role legend, the definitions once and compactly, where the data came from, the demo label,
and the events table for the PDF's second page, from what the window shows."""

from __future__ import annotations

from datetime import datetime, timezone

from explorer.state import ViewState, iso
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import kept_summary
from explorer.timeutil import span_text, when

US = 1_000_000
STEP_WORDS = {60: "1 min", 300: "5 min", 900: "15 min", 3600: "1 h", 86400: "1 day"}


def provenance(store) -> str:
    """Which data: the store, its collectors, sessions and files."""
    with store.reader() as con:
        kept = kept_summary(con)
    span = f", {_minute(kept.first)} to {_minute(kept.last)} UTC" if kept.first is not None else ""
    return (f"Data: store {store.path.name}: {kept.files:,} MRT files{span}; collectors "
            f"{', '.join(kept.collectors) or '-'}; {kept.sessions:,} peer sessions")


def _minute(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _step(seconds: int) -> str:
    return STEP_WORDS.get(seconds, f"{seconds:,} s")


def main_event(data, at: int | None = None):
    """The outage the slide is about: the one at the cursor, else the longest of the window (None: no outage)."""
    outages = [e for e in data.events if e.kind == "outage"] if data is not None else []
    if not outages:
        return None
    if at is not None:
        here = [e for e in outages if e.start_us <= at * US < max(e.end_us, e.start_us + 1)]
        if here:
            return here[0]
    return max(outages, key=lambda e: e.end_us - e.start_us)


def headline(data, state: ViewState) -> str:
    """'North Korea: all 4 prefixes withdrawn, Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC'."""
    who = (getattr(data, "scope_words", "") or getattr(data, "label", "")) if data is not None else state.scope
    e = main_event(data, state.cursor)
    if e is None:
        shown = f"{len(data.prefixes):,} prefixes" if data is not None else "no data"
        return f"{who}: no outage, {shown}, {span_text(state.start * US, state.end * US, duration=False)}"
    return f"{who}: {e.what}, {span_text(e.start_us, e.end_us, duration=False)}"


def compact_definitions(data, state: ViewState) -> str:
    """The definitions in force, once, in one sentence."""
    from explorer.analysis.definitions import Definitions

    d = Definitions(**state.definitions)
    kind, _, value = d.full_feed.partition(":")
    rule = {"all": "every session", "min": f"sessions with {value} prefixes or more",
            "share": f"sessions with >= {float(value or 0):.0%} of the largest table at their collector"}[kind]
    n = getattr(data, "full_feed_sessions", 0) if data is not None else 0
    return (f"Definitions: full feed = {rule} ({n} here; none with {d.min_table:,}+ prefixes: those that routed "
            f"the scope); visible = seen by >= {d.threshold:.0%} of them; outage = under "
            f"{1 - d.outage_share:.0%} of the most prefixes counted before, timed at the routing changes (a prefix "
            f"lost from its last route withdrawn to its first back); stacked by upstream (the AS before the "
            f"origin); value at t = state after every element <= t; bins of {_step(state.step)}.")


def slide_for(window, store, title: str | None = None, view: str = "both"):
    """The text around the picture, from what the window shows."""
    from explorer.ui.export import Slide
    from explorer.ui.style import LOST, ROLE_COLOURS
    from explorer.ui.tables import event_rows

    state: ViewState = window.state
    data = window.data
    head = headline(data, state)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    outages = [e for e in data.events if e.kind == "outage"] if data is not None else []
    what = "; ".join(e.span() for e in outages[:3]) + (f"; {len(outages) - 3} more" if len(outages) > 3 else "")
    window_line = (f"{data.label if data is not None else state.scope}, "
                   f"{span_text(state.start * US, state.end * US, duration=False)} "
                   f"{datetime.fromtimestamp(state.start, tz=timezone.utc).year}, every {_step(state.step)}; "
                   f"cursor {when(state.cursor * US)}")
    g = getattr(window, "graph", None)
    if g is not None and view != "timeline":
        window_line += (f"; AS paths at the cursor: {g.routes_at:,} routes held, {len(g.lost)} adjacencies of the "
                        f"window's start lost")
    subtitle = "\n".join(([head] if title else []) + ([f"Outages: {what}"] if outages else []) + [window_line])
    footer = [compact_definitions(data, state),
              f"{provenance(store)}. Window {iso(state.start)} to {iso(state.end)}, every {state.step} s; cursor "
              f"{iso(state.cursor)}; made {made} by BGP History Explorer"]
    demo = get_meta(store, DEMO_LABEL_KEY)
    if demo:
        footer.append(demo if demo.startswith("Demo:") else f"Demo: {demo}")
    legend = ([(role, colour) for role, colour in ROLE_COLOURS.items()] + [("lost since the window's start", LOST)]
              if view != "timeline" else [])          # the timeline's own legend names its series
    events_title = f"Events: {getattr(data, 'scope_words', '') or state.scope}, " \
                   f"{span_text(state.start * US, state.end * US, duration=False)}"
    return Slide(title=title or head, subtitle=subtitle, legend=legend, footer=footer, events_title=events_title,
                 events=event_rows(data.events) if data is not None else [])
