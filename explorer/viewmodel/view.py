"""What the explorer window shows, for one view state: the timeline over the window, and what the AS
graph needs at any instant of it.

``load_view`` calls the same functions as the command line (``resolve_scope``, ``visibility``,
``by_prefix``, ``by_upstream``, ``upstream_routes``, ``find_events``, ``route_times``), so the window
and ``bgp-explorer visibility`` give the same numbers under the same definitions. Events carry their
exact times (microseconds, from the routing changes), whatever the step the timeline is drawn at. It also keeps the scope's route
intervals over the window in memory: ``viewmodel.graph.cursor_graph`` answers a cursor move from
them without a store query, and the graph's folding and layout are computed once over every route of
the window (``analysis.aggregate.fold``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from explorer import __version__
from explorer.analysis.coverage import Gap
from explorer.analysis.definitions import Definitions, Window
from explorer.analysis.aggregate import Folding, fold, path_weights
from explorer.analysis.events import changes, find_events, what
from explorer.analysis.graph import PathClock, PathTable, RouteTimes, path_clock, path_table, route_times_of
from explorer.analysis.sparse import StepGrid
from explorer.analysis.paths import Hops
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import by_prefix, by_upstream, upstream_routes, visibility
from explorer.state import ViewState
from explorer.timeutil import parse_time_us, span_text
from explorer.registry.countries import country_name
from explorer.registry.mapping import as_countries, as_names, mapping_for, prefix_countries
from explorer.store.kept_files import keep, read_kept
from explorer.store.prefix_index import prefix_index
from explorer.store.queries import files_stamp


US = 1_000_000


@dataclass(frozen=True)
class PrefixSpan:
    """One prefix's own loss in an outage: from its withdrawal (or its fall below the threshold) to its return."""

    prefix: str
    start_us: int
    end_us: int
    restored: bool
    all_withdrawn: bool


@dataclass
class Event:
    kind: str                   # 'outage' | 'instability'
    start_us: int               # exact, from the routing changes
    end_us: int
    prefixes: int
    slash24: int
    depth: float
    restored: bool = True
    baseline: int = 0
    what: str = ""              # in words: 'all 4 prefixes withdrawn'
    by_prefix: list[PrefixSpan] = field(default_factory=list)

    @classmethod
    def from_dict(cls, e: dict) -> "Event":
        us = parse_time_us
        spans = [PrefixSpan(p["prefix"], us(p["start"]), us(p["end"]), p["restored"], p["all_withdrawn"])
                 for p in e.get("by_prefix", [])]
        return cls(e["kind"], us(e["start"]), us(e["end"]), e["prefixes"], e["slash24"], e["depth"],
                   e.get("restored", True), e.get("baseline_prefixes", 0), what(e), spans)

    @property
    def start(self) -> int:
        """The first whole second at or after the start: a cursor there shows the state it began."""
        return -(-self.start_us // US)

    @property
    def end(self) -> int:
        return -(-self.end_us // US)

    @property
    def duration_s(self) -> float:
        return (self.end_us - self.start_us) / US

    def span(self) -> str:
        """'Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC (9 h 31 min)'."""
        return span_text(self.start_us, self.end_us)


@dataclass
class ViewData:
    state: ViewState
    label: str
    instants: np.ndarray                    # Unix seconds
    prefixes: list[str]
    routes: RouteTimes                      # the scope's routes over the window; prefix: a row of prefixes
    peers: StepGrid                         # (prefixes, instants): sessions holding a route (its changes only)
    visible: StepGrid                       # (prefixes, instants) 1 where visible by the definitions
    visible_prefixes: np.ndarray
    visible_slash24: np.ndarray
    by_upstream: dict[int, np.ndarray]      # upstream AS -> prefixes visible through it
    upstream_routes: dict[int, np.ndarray]  # upstream AS -> routes through it, every session (their shares)
    announcements: np.ndarray
    withdrawals: np.ndarray
    events: list[Event]
    folding: Folding | None                 # the graph as drawn; replaced when a group is opened or folded;
                                            # None in a zoom's view (the window draws its own graph)
    definitions: str                        # what the numbers mean, for every footer
    full_feed_sessions: int = 0
    names: dict[int, str] = field(default_factory=dict)
    countries: dict[int, str] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)           # spans whose state the store does not know
    scope_words: str = ""                                   # 'North Korea', '175.45.176.0/22', 'AS131279'
    changes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # change_instants, seconds

    def unknown_at(self, t: float) -> Gap | None:
        """The gap of the coverage holding instant t (seconds), if any."""
        us = t * US
        return next((g for g in self.gaps if (g.start <= us < g.end if g.kind == "before" else g.start < us <= g.end)),
                    None)

    @property
    def paths(self) -> list[Hops]:
        return self.routes.paths

    def index_at(self, t: int) -> int:
        """The last instant <= t."""
        return int(np.clip(np.searchsorted(self.instants, t, "right") - 1, 0, len(self.instants) - 1))


class Cancelled(Exception):
    """A newer request superseded this one."""


def load_view(con, state: ViewState, *, cancelled=lambda: False, within: ViewState | None = None) -> ViewData:
    """``within``: the view this one zooms into; its window's table sizes choose the full-feed
    sessions here too (``visibility``'s ``sizes_window``), and its view is not folded: the window
    draws its own graph.

    A view computed once is kept beside the store (``store.kept_files``) while the store's files are
    the same: the window opened again on it, or going back to it, reads it instead of every route
    of the scope (India's week: 0.4 s against 6 s). Only the cursor and the selection may differ."""
    key, stamp = view_key(state, within), files_stamp(con)
    kept = read_kept(con, key, stamp)
    if kept is not None:
        try:
            return view_from_kept(*kept, state, folded=within is None)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError):
            pass                                    # (an entry of another layout: computed again)
    view = compute_view(con, state, cancelled=cancelled, within=within)
    if not cancelled():
        keep(con, key, stamp, *kept_form(view))
    return view


def compute_view(con, state: ViewState, *, cancelled=lambda: False, within: ViewState | None = None) -> ViewData:
    window = Window(state.start, state.end, state.step)
    defs = Definitions(**state.definitions)
    scope = resolve_scope(con, window, **state.scope_args())
    sizes_window = Window(within.start, within.end, within.step) if within is not None else None
    v = visibility(con, scope, window, defs, sizes_window=sizes_window)
    if cancelled():
        raise Cancelled()
    ids, peers, ff_peers = by_prefix(v)
    ups, up_grid = by_upstream(con, v)
    route_ups, route_grid = upstream_routes(v)
    ch = changes(con, v)
    events = [Event.from_dict(e) for e in find_events(con, v, ch)]
    p, i, d = v.transitions                 # prefixes becoming visible (+1) or not (-1), by the definitions
    visible = StepGrid.from_deltas(np.searchsorted(ids, p), i, d, len(ids), window.count)

    routes = route_times_of(v.routes)       # the routes visibility read: the graph at any instant of the window
    ff = sum(v.full_feed.counts.values())
    visible_prefixes, visible_slash24, announcements, withdrawals = (v.visible_prefixes, v.visible_slash24,
                                                                     v.announcements, v.withdrawals)
    gaps = ch.gaps
    del v, ch           # the routes as read and their steps: the view keeps ``routes`` (Brazil's week: 1.5 GB)
    folding = fold(routes, window.start, window.end) if within is None else None
    asns = sorted(folding.node_of) if folding is not None else np.unique(path_table(routes).node_asn).tolist()
    mapping = mapping_for(con, state.start)
    names = {a: n for a, n in as_names(con, asns).items() if n}
    countries = {a: c for a, c in as_countries(con, asns, mapping).items() if c}
    chosen = (f"{ff} full-feed session(s) chosen over {span_text(within.start * US, within.end * US)}, the whole "
              "window" if within is not None else f"{ff} full-feed session(s) in the window")
    text = (f"{scope.describe()}; {defs.describe()}; {chosen}; a prefix counts under "
            f"each upstream (the AS before the origin) through which it is visible; bins of {state.step} s, state "
            f"after every element <= t; events at the routing changes")
    words = (country_name(scope.label) or scope.label if state.scope_kind == "country" else
             as_label_text(int(scope.label[2:]), names) if state.scope_kind == "origin" else scope.label)
    return ViewData(state, scope.label, window.instants(), scope.index.texts(ids), routes,
                    peers, visible, visible_prefixes, visible_slash24,
                    {int(u): up_grid[i] for i, u in enumerate(ups.tolist()) if up_grid[i].any()},
                    {int(u): route_grid[i] for i, u in enumerate(route_ups.tolist()) if route_grid[i].any()},
                    announcements, withdrawals, events, folding, text, ff, names, countries, gaps, words,
                    change_instants(routes, state.start, state.end))


VIEW_FORMAT = 4       # the layout of a kept view: a change makes earlier entries be computed again


def view_key(state: ViewState, within: ViewState | None) -> str:
    """What a view's numbers depend on: its scope, window, step and definitions, the window it zooms
    into, and this program's version (a release may count differently)."""
    return json.dumps({"format": VIEW_FORMAT, "version": __version__, "view": state.query_key(),
                       "within": None if within is None else [within.start, within.end, within.step]})


def refresh_views(con, keys: list[str], on_view=lambda state, seconds, error: None) -> int:
    """Compute again, and keep, the views of ``keys`` (``view_key``; ``store.kept_files.recent_keys``
    before an import): the window then opens on them, after the import, as fast as before it. A key
    of another format or version, or a view the store can no longer show, is passed over (``on_view``
    is told why). Returns how many were kept."""
    import time

    from explorer.analysis.errors import AnalysisError
    from explorer.state import StateError

    done = 0
    for key in keys:
        t0 = time.perf_counter()
        try:
            k = json.loads(key)
            if k.get("format") != VIEW_FORMAT or k.get("version") != __version__:
                continue
            kind, scope, start, end, step, definitions = k["view"]
            state = ViewState(kind, scope, start, end, step, start, dict(definitions))
            within = None
            if k["within"] is not None:
                lo, hi, every = k["within"]
                within = state.with_(start=lo, end=hi, step=every)
            load_view(con, state, within=within)
        except (AnalysisError, StateError, ValueError, KeyError, TypeError) as exc:
            on_view(None, time.perf_counter() - t0, str(exc))
            continue
        done += 1
        on_view(state, time.perf_counter() - t0, "")
    return done


def kept_form(v: ViewData) -> tuple[dict, dict[str, np.ndarray]]:
    """The view as plain JSON and arrays (``view_from_kept`` reads it back). The graph's folding is
    computed again from the routes, with the paths' table and weights kept here (0.9 s and 0.2 s of
    Brazil's 1.3 s fold; the table 1.6 s of the United States' 3.7 s), and the cursor's clock; a zoom's
    view, drawn with the window's graph, has neither weights nor clock."""
    r = v.routes
    table = path_table(r)                   # (its node_ptr and node_asn are the paths' ASes)
    graph = {}
    if v.folding is not None:
        clock = path_clock(r, v.state.start, v.state.end)
        graph = {"path_weights": path_weights(r, v.state.start, v.state.end),
                 **{f"clock_{c}": getattr(clock, c) for c in PathClock.ARRAYS}}
    arrays = {
        "prefixes": np.array(v.prefixes, dtype=str),
        **{f"table_{f.name}": getattr(table, f.name) for f in fields(PathTable)},
        "hop_complete": np.array([h.complete for h in r.paths], bool),
        **graph,
        **{f"route_{c}": getattr(r, c) for c in ("session", "prefix", "path", "start", "end")},
        **{f"{g}_{c}": getattr(getattr(v, g), c) for g in ("peers", "visible") for c in ("row", "idx", "count")},
        **{f"{g}_ptr": getattr(v, g).row_ptr() for g in ("peers", "visible")},
        **{c: getattr(v, c) for c in ("visible_prefixes", "visible_slash24", "announcements", "withdrawals", "changes")},
    }
    for name in ("by_upstream", "upstream_routes"):
        rows = getattr(v, name)
        arrays[f"{name}_asn"] = np.array(list(rows), np.int64)
        arrays[f"{name}_rows"] = (np.stack(list(rows.values())) if rows else
                                  np.zeros((0, len(v.instants)), np.int64))
    meta = {"label": v.label, "definitions": v.definitions, "full_feed_sessions": v.full_feed_sessions,
            "scope_words": v.scope_words, "names": list(v.names.items()), "countries": list(v.countries.items()),
            "gaps": [asdict(g) for g in v.gaps], "events": [asdict(e) for e in v.events],
            "grids": {g: getattr(v, g).shape for g in ("peers", "visible")}}
    return meta, arrays


def view_from_kept(meta: dict, a: dict[str, np.ndarray], state: ViewState, folded: bool = True) -> ViewData:
    table = PathTable(**{f.name: a[f"table_{f.name}"] for f in fields(PathTable)})
    paths = KeptPaths(table, a["hop_complete"])
    routes = RouteTimes(*(a[f"route_{c}"] for c in ("session", "prefix", "path", "start", "end")), paths)
    routes.cache["paths"] = table
    if folded:
        routes.cache[("path_weights", state.start, state.end)] = a["path_weights"]
        routes.cache["clock"] = PathClock(state.start, state.end, *(a[f"clock_{c}"] for c in PathClock.ARRAYS))
    peers, visible = (StepGrid(*(a[f"{g}_{c}"] for c in ("row", "idx", "count")), *meta["grids"][g])
                      for g in ("peers", "visible"))
    peers._ptr, visible._ptr = a["peers_ptr"], a["visible_ptr"]
    tables = [{int(u): row for u, row in zip(a[f"{name}_asn"].tolist(), a[f"{name}_rows"])}
              for name in ("by_upstream", "upstream_routes")]
    events = [Event(**{**e, "by_prefix": [PrefixSpan(**p) for p in e["by_prefix"]]}) for e in meta["events"]]
    folding = fold(routes, state.start, state.end) if folded else None
    return ViewData(state, meta["label"], Window(state.start, state.end, state.step).instants(),
                    a["prefixes"].tolist(), routes, peers, visible, a["visible_prefixes"], a["visible_slash24"],
                    tables[0], tables[1], a["announcements"], a["withdrawals"], events, folding,
                    meta["definitions"], meta["full_feed_sessions"], {int(k): n for k, n in meta["names"]},
                    {int(k): c for k, c in meta["countries"]}, [Gap(**g) for g in meta["gaps"]],
                    meta["scope_words"], a["changes"])


class KeptPaths(Sequence):
    """A kept view's paths, each made as a ``Hops`` when read: the window reads the path table, not
    these (the United States' 96,882 paths took 0.44 s as a list, at every open)."""

    def __init__(self, table: PathTable, complete: np.ndarray):
        self.table, self.complete = table, complete

    def __len__(self) -> int:
        return len(self.complete)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        lo, hi = self.table.node_ptr[i], self.table.node_ptr[i + 1]
        return Hops(tuple(self.table.node_asn[lo:hi].tolist()), bool(self.complete[i]))

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


def change_instants(routes: RouteTimes, start: int, end: int) -> np.ndarray:
    """Distinct instants (seconds) in [start, end] at which some route of the scope starts or ends:
    the steps of the replay. Marked in a mask of the window's seconds (np.unique's hashing of India's
    week of routes, 8 M times, took 1.5 s on the GUI thread)."""
    us = np.concatenate([routes.start, routes.end]) // US
    us = us[(us >= start) & (us <= end)]
    if end - start > 50_000_000:            # (more than a year and a half: no mask that long)
        return np.unique(us)
    seen = np.zeros(end - start + 1, bool)
    seen[us - start] = True
    return np.flatnonzero(seen).astype(np.int64) + start


def as_label_text(asn: int, names: dict[int, str]) -> str:
    """'AS131279 STAR-KP': the number and the first words of its name."""
    name = (names.get(asn) or "").split(",")[0].split(" - ")[0]
    return f"AS{asn} {name}".strip()


def countries_in_store(con, at: int) -> list[tuple[str, str, int]]:
    """(code, name, prefixes) of every country with a prefix in the store, by the mapping in force at ``at``."""
    index = prefix_index(con)
    codes = prefix_countries(con, index, mapping_for(con, at))
    present = codes[index.af > 0]
    values, counts = np.unique(np.array([c or "" for c in present], dtype=object), return_counts=True)
    return sorted(((c, country_name(c) or c, int(n)) for c, n in zip(values.tolist(), counts.tolist()) if c),
                  key=lambda r: r[0])
