"""The window's speed: cold start to the first painted window, cursor move to graph repainted, and the
AS graph's own costs at the cursor for large real scopes.

    python bench/ui.py [--store PATH --scope-kind K --scope S --start T --end T --step S] [--graph-only]

For issue 3's large benchmark store: ``python bench/query.py --sizes 50 --keep --dir /tmp/bq`` (or its
build_base/build_large), then ``python bench/ui.py --store /tmp/bq/bench50m.duckdb --scope KP
--start 2014-12-15T00:00:00Z --end 2014-12-22T00:00:00Z`` (and ``--scope IN``, its large country).

Without --store it measures (1) the demo store (North Korea, 19-24 Dec 2014), (2) a store of the
two real update files of ../shared/data/mrt holding North Korea's prefixes, and (3) a store of every
file there (690,000 prefixes), with China as a large scope (22,489 prefixes, 731 ASes) over the
minute of the 2015 full-table file; (2) and (3) are built in a temporary folder (about a minute). For each: the cold start (a fresh process: imports, QApplication, window,
the view loaded and the graph at the cursor painted), then the median and worst time from a cursor
move to the graph repainted, over 50 moves spread across the window. Floors: start under 3 s, median
redraw under 150 ms. Runs offscreen.

Then, for the United States in the 2015 full table (18,409 ASes at one instant) and China in a store of
every file, the graph's own costs at the cursor, medians over a few runs, printed against the same
floor: *fold and layout* (``analysis.aggregate.fold``: choosing the ASes drawn, the groups, the layered
layout; once per window, on the query worker), *placement* (``viewmodel.graph_scene``: nodes, edges and
labels in the pane's pixels; once per pane size, on the GUI thread), *count at the cursor* (routes over
the folded nodes and edges, on the worker) and *paint* (QPainter, GUI thread).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from explorer.state import ViewState, parse_iso  # noqa: E402

MRT = ROOT.parent / "shared" / "data" / "mrt"
MRT_FILES = ["bgpdump__updates.et-header.2015.gz", "dnas__rrc23.updates.20220421.0200.gz"]
MRT_STATE = ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=parse_iso("2022-04-21T02:00:00Z"),
                      end=parse_iso("2022-04-21T02:05:00Z"), step=10, at=parse_iso("2022-04-21T02:04:00Z"))

LARGE_STATE = ViewState(scope_kind="country", scope="CN", start=parse_iso("2015-10-23T02:01:00Z"),
                        end=parse_iso("2015-10-23T02:02:00Z"), step=5, at=parse_iso("2015-10-23T02:01:50Z"))
US_FILE = "bgpdump__updates.et-header.2015.gz"
SG_FILES = ["dnas__rrc23.updates.20220421.0200.gz", "dnas__rrc23.updates.20220501.2305.gz"]
SG_STATE = ViewState(scope_kind="country", scope="SG", start=parse_iso("2022-04-21T02:00:00Z"),
                     end=parse_iso("2022-04-21T02:15:00Z"), step=10, at=parse_iso("2022-04-21T02:10:00Z"))
US_STATE = LARGE_STATE.with_(scope="US", at=parse_iso("2015-10-23T02:01:55Z"))
ASNAMES = ROOT.parent / "shared" / "data" / "registry" / "pyasn__asnames.json.gz"

CHILD = """
import time, json, sys
t0 = time.perf_counter()
from pathlib import Path
from explorer.state import ViewState
from explorer.ui.offscreen import app_instance, wait_until_shown
from explorer.ui.store_lock import open_store
from explorer.ui.window import ExplorerWindow
app = app_instance()
state = ViewState.from_dict(json.loads(sys.argv[2]))
with open_store(Path(sys.argv[1])) as store:        # as the window opens it: for writing, when it can
    w = ExplorerWindow(store, state, remember=False)
    w.resize(1600, 950)
    w.show()
    ok = wait_until_shown(w, 600)
    w.repaint()
    app.processEvents()
    print("PAINTED", time.perf_counter() - t0, ok, w.error, flush=True)
    w.close()
"""


def cold_start(store: Path, state: ViewState) -> float:
    import json

    t = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store), json.dumps(state.to_dict())], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    line = ""
    for line in child.stdout:                   # from launching the process to the painted window
        if line.startswith("PAINTED"):
            break
    wall = time.perf_counter() - t
    child.wait()
    if not line.startswith("PAINTED") or line.split()[2] != "True":
        raise SystemExit(f"the window did not paint: {line}")
    return wall


def forget_views(store: Path) -> None:
    """Drop everything the store kept for views (``store.derived``, and the views beside it:
    ``store.kept_files``), so that a cold start computes it."""
    import shutil

    import duckdb

    from explorer.store.derived import TABLE
    from explorer.store.kept_files import folder_of
    with duckdb.connect(str(store)) as con:
        try:
            con.execute(f"DELETE FROM {TABLE}")
        except duckdb.CatalogException:
            pass
    shutil.rmtree(folder_of(store), ignore_errors=True)


def cursor_moves(store: Path, state: ViewState, moves: int = 50) -> list[float]:
    from PySide6.QtWidgets import QApplication

    from explorer.store import Store
    from explorer.ui.offscreen import app_instance, wait_until_shown
    from explorer.ui.window import ExplorerWindow

    app_instance()
    times = []
    with Store(store) as s:
        w = ExplorerWindow(s, state, remember=False)
        w.resize(1600, 950)
        w.show()
        wait_until_shown(w, 120)
        span = state.end - state.start
        for i in range(moves):
            t = state.start + (span * (i * 37 % moves)) // moves          # jumps back and forth
            t0 = time.perf_counter()
            w.move_cursor(t)
            while w.graph is None or w.graph.at != t:
                QApplication.processEvents()
                time.sleep(0.0005)                  # as an event loop waits: the worker gets the GIL
            w.graph_pane.plot.repaint()                        # painted, not just scheduled
            times.append(time.perf_counter() - t0)
        w.close()
    return times


def mrt_store(folder: Path, files: list[Path], name: str) -> Path | None:
    from explorer.ingest.pipeline import ingest
    from explorer.registry.files import import_registry_files
    from explorer.store import Store

    if not all(f.exists() for f in files):
        return None
    path = folder / name
    with Store(path) as s:
        for _ in ingest(s, [str(f) for f in files], jobs=2):
            pass
        if ASNAMES.exists():                    # names, as an analyst would have them: labels of real length
            import_registry_files(s, [ASNAMES])
    return path


def graph_costs(name: str, store: Path, state: ViewState, size=(1280, 720), runs: int = 5) -> None:
    """The AS graph's costs at the cursor for one view (see the module's docstring)."""
    from PySide6.QtWidgets import QApplication

    from explorer.analysis.aggregate import fold
    from explorer.analysis.graph import held_at
    from explorer.store import Store
    from explorer.ui.offscreen import app_instance, wait_until_shown
    from explorer.ui.window import ExplorerWindow

    app_instance()
    with Store(store, read_only=True) as s:
        w = ExplorerWindow(s, state, remember=False)
        w.resize(*size)
        w.show()
        if not wait_until_shown(w, 300) or w.error:
            raise SystemExit(f"{name}: the view did not load: {w.error}")
        d, pane = w.data, w.graph_pane
        folds, places, counts, paints = [], [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            f = fold(d.routes, state.start, state.end)
            folds.append(time.perf_counter() - t0)
        span = state.end - state.start
        for i in range(runs):
            t0 = time.perf_counter()
            pane._relayout()
            places.append(time.perf_counter() - t0)
            t = state.start + span * (i + 1) // (runs + 1)
            t0 = time.perf_counter()
            f.at(d.routes, held_at(d.routes, t))
            counts.append(time.perf_counter() - t0)
            QApplication.processEvents()
            t0 = time.perf_counter()
            pane.plot.repaint()
            paints.append(time.perf_counter() - t0)
        med = lambda xs: statistics.median(xs) * 1000          # noqa: E731
        at_cursor = med(counts) + med(paints)
        print(f"{name}: {f.total_ases:,} ASes drawn as {len(f.nodes)} nodes ({sum(n.is_group for n in f.nodes)} groups), "
              f"{len(pane.drawn)} of {len(f.edges)} edges, {len(pane.label_rects())} labels at {size[0]}x{size[1]}; "
              f"fold and layout {med(folds):.0f} ms (once per window, worker); placement {med(places):.0f} ms "
              f"(once per pane size); at the cursor: count {med(counts):.1f} ms (worker) + paint {med(paints):.1f} ms "
              f"= {at_cursor:.1f} ms (floor: the window's redraw median under 150 ms: "
              f"{'ok' if at_cursor < 150 else 'OVER'})")
        w.close()


def scale_report(store: Path, state: ViewState, other: str | None, moves: int = 50) -> None:
    """Issue 13's figures on a large store: cold start, a new scope and zooming into a day in the
    running window, and cursor moves, each beside its floor."""
    from PySide6.QtWidgets import QApplication

    from explorer.ui.offscreen import app_instance, wait_until_shown
    from explorer.ui.window import ExplorerWindow
    from explorer.store import Store

    def ok(value, floor, unit="s"):
        return f"floor {floor:g} {unit}: {'ok' if value < floor else 'OVER'}"

    forget_views(store)
    start = cold_start(store, state)
    print(f"  cold start (new process, view loaded, graph painted), nothing kept for views: {start:.2f} s "
          f"({ok(start, 3)})", flush=True)
    start = cold_start(store, state)
    print(f"  cold start again, the view kept by the first (store.kept_files): {start:.2f} s "
          f"({ok(start, 3)})", flush=True)
    app_instance()

    def switch(to: ViewState, what: str) -> None:
        t0 = time.perf_counter()
        w.apply(to)
        wait_until_shown(w, 600)
        took = time.perf_counter() - t0
        print(f"  {what} in the running window: {took:.2f} s ({ok(took, 1.5)})", flush=True)

    with Store(store) as s:                 # as the window opens it: for writing
        w = ExplorerWindow(s, state, remember=False)
        w.resize(1600, 950)
        w.show()
        wait_until_shown(w, 600)
        if other:
            switch(state.with_(scope=other), f"new scope {other}, never viewed")
            switch(state, f"back to {state.scope}")
            switch(state.with_(scope=other), f"{other} again, viewed before")
            switch(state, f"back to {state.scope}")
        day_lo = state.start + 3 * 86400
        for what in ("never viewed", "again, viewed before"):
            t0 = time.perf_counter()
            w.timeline.set_range(day_lo, day_lo + 86400)
            while w.detail is None or w.detail.state.start > day_lo + 1 or w.detail.state.end < day_lo + 86399:
                QApplication.processEvents()
                time.sleep(0.0005)
                if time.perf_counter() - t0 > 600:
                    break
            took = time.perf_counter() - t0
            step = w.detail.state.step if w.detail is not None else None
            print(f"  zoom into a day, re-read at a {step} s step, {what}: {took * 1000:.0f} ms "
                  f"({ok(took * 1000, 500, 'ms')})", flush=True)
            w.timeline.set_range(state.start, state.end)
            while w.detail is not None:
                QApplication.processEvents()
                time.sleep(0.0005)
        w.timeline.set_range(state.start, state.end)
        times = []
        span = state.end - state.start
        for i in range(moves):
            t = state.start + (span * (i * 37 % moves)) // moves
            t0 = time.perf_counter()
            w.move_cursor(t)
            while w.graph is None or w.graph.at != t:
                QApplication.processEvents()
                time.sleep(0.0005)
            w.graph_pane.plot.repaint()
            w.prefixes.widget.viewport().repaint()
            times.append(time.perf_counter() - t0)
        w.close()
    med, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"  cursor move to graph and table repainted, {len(times)} moves: median {med:.0f} ms ({ok(med, 100, 'ms')}), "
          f"worst {worst:.0f} ms ({ok(worst, 300, 'ms')})")
    import resource
    print(f"  peak memory of this process (the window): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB "
          f"(floor 4 GB)")


def report(name: str, store: Path, state: ViewState) -> None:
    start = cold_start(store, state)
    times = cursor_moves(store, state)
    med, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"{name}: cold start to first painted window {start:.2f} s (floor 3 s: "
          f"{'ok' if start < 3 else 'OVER'}); cursor move to graph repainted over {len(times)} moves: "
          f"median {med:.1f} ms (floor 150 ms: {'ok' if med < 150 else 'OVER'}), worst {worst:.1f} ms")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--store")
    p.add_argument("--scope-kind", default="country")
    p.add_argument("--scope", help="default: KP, or with --store the store's largest country")
    p.add_argument("--other-scope", help="with --store: the scope a running window switches to (default: the second largest)")
    p.add_argument("--start", help="default 2014-12-19, or with --store the day of its first RIB dump")
    p.add_argument("--end", help="default 2014-12-24, or with --store 7 days after the start")
    p.add_argument("--step", type=int, default=300)
    p.add_argument("--graph-only", action="store_true", help="only the graph's costs for the large real scopes")
    args = p.parse_args()
    if args.graph_only:
        with tempfile.TemporaryDirectory() as tmp:
            large_graphs(Path(tmp))
        return
    if args.store:
        sys.path.insert(0, str(ROOT / "bench"))
        from scale_view import describe

        view = describe(Path(args.store), args.scope)
        print(view.line())
        start = parse_iso(args.start) if args.start else view.start
        end = parse_iso(args.end) if args.end else view.end
        state = ViewState(scope_kind=args.scope_kind, scope=view.country, start=start, end=end, step=args.step,
                          at=(start + end) // 2)
        scale_report(Path(args.store), state, args.other_scope or view.runner_up)
        return
    args.scope = args.scope or "KP"
    args.start, args.end = args.start or "2014-12-19T00:00:00Z", args.end or "2014-12-24T00:00:00Z"
    try:
        from explorer.demo import ensure_demo_store
        from explorer.ui.app import DEMO_STATE

        report("demo store (KP, 19-24 Dec 2014, 5-min steps)", Path(ensure_demo_store()), DEMO_STATE.with_(step=300))
    except ImportError:
        print("demo store: explorer.demo is not in this tree; skipped")
    with tempfile.TemporaryDirectory() as tmp:
        store = mrt_store(Path(tmp), [MRT / f for f in MRT_FILES], "kp-mrt.duckdb")
        if store is None:
            print(f"real-file store: {MRT} is absent; skipped")
            return
        report("real files (2 update files, 630k route intervals; 175.45.176.0/22 at 10 s steps)", store, MRT_STATE)
        store = mrt_store(Path(tmp), [MRT], "all-mrt.duckdb")
        report("every real file (690k prefixes; CN: 22,489 prefixes, 731 ASes, 5 s steps over one minute)", store,
               LARGE_STATE)
        large_graphs(Path(tmp), store)


def large_graphs(folder: Path, every: Path | None = None) -> None:
    """The graph's costs for the demo, Singapore (rrc23 2022), the United States in the 2015 full table
    and China in a store of every file."""
    us = mrt_store(folder, [MRT / US_FILE], "us-2015.duckdb")
    if us is None:
        print(f"large graphs: {MRT / US_FILE} is absent; skipped")
        return
    sg = mrt_store(folder, [MRT / f for f in SG_FILES], "sg-2022.duckdb")
    every = every or mrt_store(folder, [MRT], "all-mrt.duckdb")
    views = [("SG, rrc23 2022, cursor 02:10", sg, SG_STATE), ("US, 2015 full table, cursor 02:01:55", us, US_STATE),
             ("CN, every real file, cursor 02:01:50", every, LARGE_STATE)]
    try:
        from explorer.demo import ensure_demo_store
        from explorer.ui.app import DEMO_STATE

        views.insert(0, ("demo (KP, cursor in the outage)", Path(ensure_demo_store()), DEMO_STATE.with_(step=300)))
    except ImportError:
        pass
    for size in ((1280, 720), (1920, 1080)):
        for name, store, state in views:
            graph_costs(name, store, state, size)


if __name__ == "__main__":
    main()
