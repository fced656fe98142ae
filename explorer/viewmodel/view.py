"""What the explorer window shows, for one view state: the timeline over the window, and what the AS
graph needs at any instant of it.

``load_view`` calls the same functions as the command line (``resolve_scope``, ``visibility``,
``by_prefix``, ``by_upstream``, ``find_events``, ``route_times``), so the window and ``bgp-explorer
visibility`` give the same numbers under the same definitions. It also keeps the scope's route
intervals over the window in memory: ``viewmodel.graph.cursor_graph`` answers a cursor move from
them without a store query, and the graph's folding and layout are computed once over every route of
the window (``analysis.aggregate.fold``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.analysis.definitions import Definitions, Window
from explorer.analysis.events import find_events
from explorer.analysis.aggregate import Folding, fold
from explorer.analysis.graph import RouteTimes, route_times
from explorer.analysis.paths import Hops
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import by_prefix, by_upstream, visibility
from explorer.state import ViewState, parse_iso
from explorer.registry.countries import country_name
from explorer.registry.mapping import as_countries, as_names, mapping_for, prefix_countries
from explorer.store.prefix_index import prefix_index


@dataclass
class Event:
    kind: str                   # 'outage' | 'instability'
    start: int
    end: int
    prefixes: int
    slash24: int
    depth: float

    @property
    def duration_s(self) -> int:
        return self.end - self.start


@dataclass
class ViewData:
    state: ViewState
    label: str
    instants: np.ndarray                    # Unix seconds
    prefixes: list[str]
    routes: RouteTimes                      # the scope's routes over the window; prefix: a row of prefixes
    peers: np.ndarray                       # (prefixes, instants): sessions holding a route
    visible: np.ndarray                     # (prefixes, instants) bool, by the definitions
    visible_prefixes: np.ndarray
    visible_slash24: np.ndarray
    by_upstream: dict[int, np.ndarray]      # upstream AS -> prefixes visible through it
    announcements: np.ndarray
    withdrawals: np.ndarray
    events: list[Event]
    folding: Folding                        # the graph as drawn; replaced when a group is opened or folded
    definitions: str                        # what the numbers mean, for every footer
    full_feed_sessions: int = 0
    names: dict[int, str] = field(default_factory=dict)
    countries: dict[int, str] = field(default_factory=dict)

    @property
    def paths(self) -> list[Hops]:
        return self.routes.paths

    def index_at(self, t: int) -> int:
        """The last instant <= t."""
        return int(np.clip(np.searchsorted(self.instants, t, "right") - 1, 0, len(self.instants) - 1))


class Cancelled(Exception):
    """A newer request superseded this one."""


def load_view(con, state: ViewState, *, cancelled=lambda: False) -> ViewData:
    window = Window(state.start, state.end, state.step)
    defs = Definitions(**state.definitions)
    scope = resolve_scope(con, window, **state.scope_args())
    v = visibility(con, scope, window, defs)
    if cancelled():
        raise Cancelled()
    ids, peers, ff_peers = by_prefix(v)
    ups, up_grid = by_upstream(con, v)
    events = [Event(e["kind"], parse_iso(e["start"]), parse_iso(e["end"]), e["prefixes"], e["slash24"], e["depth"])
              for e in find_events(con, v)]
    threshold = v.threshold[ids][:, None]
    visible = (ff_peers >= threshold) & (ff_peers > 0)

    routes = route_times(con, scope.index, ids, window.start, window.end)      # ids: the scope's, sorted
    folding = fold(routes, window.start, window.end)
    asns = sorted(folding.node_of)
    mapping = mapping_for(con, state.start)
    names = {a: n for a, n in as_names(con, asns).items() if n}
    countries = {a: c for a, c in as_countries(con, asns, mapping).items() if c}
    ff = sum(v.full_feed.counts.values())
    text = (f"{scope.describe()}; {defs.describe()}; {ff} full-feed session(s) in the window; a prefix counts under "
            f"each upstream (the AS before the origin) through which it is visible; bins of {state.step} s, state "
            f"after every element <= t")
    return ViewData(state, scope.label, window.instants(), scope.index.texts(ids), routes,
                    peers, visible, v.visible_prefixes, visible_slash24(scope, ids, visible),
                    {int(u): up_grid[i] for i, u in enumerate(ups.tolist()) if up_grid[i].any()},
                    v.announcements, v.withdrawals, events, folding, text, ff, names, countries)


def visible_slash24(scope, ids: np.ndarray, visible: np.ndarray, block: int = 64) -> np.ndarray:
    """Visible IPv4 /24s per instant, each counted once however many visible prefixes cover it.

    Counted from the visible grid, so that it agrees with the visible prefixes by construction;
    ``Visibility.visible_slash24`` counts the same from its transitions (tests/ui/test_demo.py checks
    that both agree). The address space is cut at every prefix boundary; a piece is visible when a
    visible prefix covers it; instants go in blocks.
    """
    ix = scope.index
    v4 = ix.af[ids] == 4
    out = np.zeros(visible.shape[1], np.int64)
    if not v4.any():
        return out
    lo = (ix.lo[ids[v4]] >> np.uint64(8)).astype(np.int64)
    hi = (ix.hi[ids[v4]] >> np.uint64(8)).astype(np.int64) + 1
    bounds = np.unique(np.concatenate([lo, hi]))
    s, e = np.searchsorted(bounds, lo), np.searchsorted(bounds, hi)
    width = np.diff(bounds)
    vis = visible[v4]
    for k0 in range(0, vis.shape[1], block):
        v = vis[:, k0:k0 + block].astype(np.int32)
        diff = np.zeros((len(bounds), v.shape[1]), np.int32)
        np.add.at(diff, s, v)
        np.add.at(diff, e, -v)
        covered = np.cumsum(diff, axis=0)[:-1] > 0
        out[k0:k0 + block] = width @ covered
    return out


def countries_in_store(con, at: int) -> list[tuple[str, str, int]]:
    """(code, name, prefixes) of every country with a prefix in the store, by the mapping in force at ``at``."""
    index = prefix_index(con)
    codes = prefix_countries(con, index, mapping_for(con, at))
    present = codes[index.af > 0]
    values, counts = np.unique(np.array([c or "" for c in present], dtype=object), return_counts=True)
    return sorted(((c, country_name(c) or c, int(n)) for c, n in zip(values.tolist(), counts.tolist()) if c),
                  key=lambda r: r[0])
