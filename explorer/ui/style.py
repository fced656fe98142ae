"""Colours and formats shared by the views, so the graph, the timeline and the legend agree."""

from __future__ import annotations

from datetime import datetime, timezone

from explorer.timeutil import duration_text

ROLE_COLOURS = {
    "origin": "#7b3294",        # the scope's own ASes
    "upstream": "#e66101",      # the AS just before the origin
    "transit": "#4c72b0",
    "peer": "#1b9e77",          # the collectors' peers
}
ABSENT = "#c8c8c8"              # in the window's layout, carrying no route at the cursor
LOST = "#d7191c"                # adjacency held at the window's start, gone at the cursor
HIGHLIGHT = "#ffb000"
OUTAGE = (215, 25, 28, 45)
INSTABILITY = (230, 97, 1, 60)
UNKNOWN = (120, 120, 120, 55)   # spans whose routing state the store does not know
SERIES = ["#e66101", "#5e3c99", "#1b9e77", "#4c72b0", "#b2abd2", "#fdb863", "#66a61e", "#e7298a",
          "#a6761d", "#666666"]
BACKGROUND = "w"
FOREGROUND = "#333333"


def utc(seconds: int, with_seconds: bool = False) -> str:
    """'2014-12-22 16:15 UTC', with seconds when asked or when the instant is not on a minute."""
    fmt = "%Y-%m-%d %H:%M:%S" if with_seconds or int(seconds) % 60 else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).strftime(fmt) + " UTC"


def duration(seconds: float) -> str:
    """'9 h 31 min' (``timeutil.duration_text``: the command line says it the same way)."""
    return duration_text(seconds)


def as_label(asn: int, names: dict[int, str]) -> str:
    name = names.get(asn) or ""
    short = name.split(",")[0].split(" - ")[0][:18]
    return f"AS{asn} {short}".strip()
