"""The explorer's view state: a plain, Qt-free object that the widgets bind to and a briefing saves.

Everything that decides what the window shows lives here, and nothing else: the scope (a country,
prefixes or an origin AS), the time window and its step, the one time cursor every view follows,
the definitions in force, and how the timeline counts. ``to_dict``/``from_dict`` round-trip exactly,
so a briefing file written from a view restores the same view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone

from explorer.timeutil import MAX_STEP, parse_time

SCOPE_KINDS = ("country", "prefixes", "origin")
TIMELINE_MODES = ("upstream", "share", "peers", "slash24")


class StateError(ValueError):
    """A view state that cannot be shown, in words a user can act on."""


@dataclass(frozen=True)
class ViewState:
    scope_kind: str = "country"          # 'country' | 'prefixes' | 'origin'
    scope: str = "KP"                    # 'KP', '175.45.176.0/22 1.2.3.0/24', '131279'
    start: int = 1418947200              # Unix seconds, UTC (2014-12-19T00:00:00Z)
    end: int = 1419379200                # 2014-12-24T00:00:00Z
    step: int = 300                      # seconds between instants
    at: int = 1419271200                 # the time cursor (2014-12-22T18:00:00Z: inside the outage)
    definitions: dict = field(default_factory=dict)   # issue 3's Definitions as a dict; {} = defaults
    timeline_mode: str = "upstream"      # stacked by upstream AS | upstreams' share of routes | peers | /24s
    selected_asn: int | None = None      # clicked in the graph: its paths highlighted, the table filtered

    def __post_init__(self):
        if self.scope_kind not in SCOPE_KINDS:
            raise StateError(f"scope kind {self.scope_kind!r}: one of {', '.join(SCOPE_KINDS)}")
        if not str(self.scope).strip():
            raise StateError("name a scope: a country (KP), prefixes (175.45.176.0/22) or an origin AS (131279)")
        if self.end < self.start:
            raise StateError(f"the window ends ({iso(self.end)}) before it starts ({iso(self.start)})")
        if not 0 < self.step <= MAX_STEP:
            raise StateError(f"step {self.step} s: give a positive step of at most {MAX_STEP:,} s, e.g. 300")
        if self.timeline_mode not in TIMELINE_MODES:
            raise StateError(f"timeline mode {self.timeline_mode!r}: one of {', '.join(TIMELINE_MODES)}")

    # -- derived -------------------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """The cursor, kept inside the window."""
        return min(max(self.at, self.start), self.end)

    @property
    def prefixes(self) -> list[str]:
        return self.scope.split() if self.scope_kind == "prefixes" else []

    def scope_args(self) -> dict:
        """The scope as ``resolve_scope`` takes it: country=, prefixes= or origin=."""
        return {"country": {"country": self.scope}, "prefixes": {"prefixes": self.prefixes},
                "origin": {"origin": self.scope}}[self.scope_kind]

    def query_key(self) -> tuple:
        """What the timeline depends on (the cursor and the selection do not)."""
        return (self.scope_kind, self.scope, self.start, self.end, self.step,
                tuple(sorted(self.definitions.items())))

    def with_(self, **changes) -> "ViewState":
        return replace(self, **changes)

    def describe(self) -> str:
        what = {"country": "", "prefixes": "", "origin": "AS"}[self.scope_kind]
        return f"{what}{self.scope}, {iso(self.start)} to {iso(self.end)} every {self.step} s, cursor {iso(self.cursor)}"

    # -- saving ----------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"], d["at"] = iso(self.start), iso(self.end), iso(self.at)
        d["definitions"] = dict(self.definitions)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ViewState":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise StateError(f"unknown view-state field(s): {', '.join(sorted(unknown))}")
        d = dict(d)
        for key in ("start", "end", "at"):
            if key in d:
                d[key] = parse_iso(d[key])
        if "definitions" in d:
            d["definitions"] = dict(d["definitions"] or {})
        return cls(**d)


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text) -> int:
    """'2014-12-22T16:15:00Z' (or Unix seconds) -> Unix seconds, read as the command line reads it."""
    if isinstance(text, (int, float)):
        return int(text)
    try:
        return parse_time(text)
    except ValueError as exc:
        raise StateError(str(exc)) from None
