"""Issue 13: a view computed once is kept beside the store (``store.kept_files``); the window opened
again on it reads every number, route and path back exactly as computed. A read-only store, a
damaged entry and an import are handled."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.analysis import Window
from explorer.ingest.pipeline import ingest
from explorer.state import ViewState, parse_iso
from explorer.store import Store
from explorer.store.kept_files import entries, folder_of
from explorer.viewmodel.view import compute_view, countries_in_store, load_view
from tests.conftest import data_file

FILES = ["mrt/dnas__rrc23.updates.20220421.0200.gz", "mrt/dnas__rrc23.updates.20220501.2305.gz"]
START, END = parse_iso("2022-04-21T02:00:00Z"), parse_iso("2022-04-21T02:15:00Z")


@pytest.fixture
def filled(store_path):
    with Store(store_path) as s:
        list(ingest(s, [data_file(f) for f in FILES[:1]]))
        with s.reader() as con:
            largest = max(countries_in_store(con, START), key=lambda c: c[2])
    return store_path, ViewState(scope_kind="country", scope=largest[0], start=START, end=END, step=10, at=START)


def same_view(a, b) -> None:
    for name in ("label", "prefixes", "events", "gaps", "definitions", "full_feed_sessions", "names", "countries",
                 "scope_words"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("instants", "visible_prefixes", "visible_slash24", "announcements", "withdrawals", "changes"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    for name in ("session", "prefix", "path", "start", "end"):
        x, y = getattr(a.routes, name), getattr(b.routes, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.routes.paths == b.routes.paths
    for g in ("peers", "visible"):
        x, y = getattr(a, g), getattr(b, g)
        assert x.shape == y.shape and all(np.array_equal(getattr(x, c), getattr(y, c)) for c in ("row", "idx", "count"))
    for t in ("by_upstream", "upstream_routes"):
        x, y = getattr(a, t), getattr(b, t)
        assert x.keys() == y.keys() and all(np.array_equal(x[u], y[u]) for u in x), t
    if a.folding is None:                               # a zoom's view: the window draws its own graph
        assert b.folding is None
        return
    assert a.folding.nodes == b.folding.nodes and np.array_equal(a.folding.edges, b.folding.edges)
    assert np.array_equal(a.folding.edge_weight, b.folding.edge_weight)


def test_a_view_is_kept_and_read_back_exactly(filled):
    path, state = filled
    with Store(path) as s, s.reader() as con:
        computed = compute_view(con, state)
        assert len(computed.prefixes) > 100 and len(computed.routes.start) > 1000 and computed.events is not None
        first = load_view(con, state)                    # computes, and keeps
    assert len(entries(path)) == 1
    moved = state.with_(at=START + 300)
    with Store(path) as s, s.reader() as con:           # a new connection, as a new process has
        again = load_view(con, moved)
    same_view(computed, first)
    same_view(computed, again)
    assert again.state == moved                          # the cursor asked for, not the one kept


def test_large_arrays_are_mapped_and_the_cursor_reads_the_same_graph(filled, monkeypatch):
    from explorer.store import kept_files
    from explorer.viewmodel.graph import cursor_graph

    monkeypatch.setattr(kept_files, "MAPPED", 1024)     # (a real scope's routes are hundreds of MB)
    path, state = filled
    with Store(path) as s, s.reader() as con:
        computed = compute_view(con, state)
        load_view(con, state)
        kept = load_view(con, state)
    assert isinstance(kept.routes.start, np.memmap) and not kept.routes.start.flags.writeable
    same_view(computed, kept)
    for t in range(START, END + 1, 37):
        a, b = cursor_graph(computed, t), cursor_graph(kept, t)
        assert a.edges == b.edges and a.roles == b.roles and a.routes_at == b.routes_at and a.lost == b.lost
        assert np.array_equal(a.folded.nodes, b.folded.nodes) and np.array_equal(a.folded.edges, b.folded.edges)


def test_another_window_or_zoom_is_another_entry(filled):
    path, state = filled
    day = state.with_(start=START + 120, end=START + 600, step=5)
    with Store(path) as s, s.reader() as con:
        load_view(con, state)
        zoomed = load_view(con, day, within=state)
        plain = load_view(con, day)
        assert zoomed.definitions != plain.definitions     # "... chosen over ..., the whole window"
        assert zoomed.folding is None and plain.folding is not None
        same_view(compute_view(con, day, within=state), load_view(con, day, within=state))
    assert len(entries(path)) == 3


def test_a_read_only_store_is_answered_and_not_written(filled):
    path, state = filled
    with Store(path, read_only=True) as s, s.reader() as con:
        v = load_view(con, state)
    assert len(v.prefixes) > 100 and not folder_of(path).exists()


def test_a_damaged_entry_is_computed_again(filled):
    path, state = filled
    with Store(path) as s, s.reader() as con:
        computed = load_view(con, state)
    entry, = entries(path)
    routes = entry / "route_start.npy"
    whole = routes.read_bytes()
    routes.write_bytes(whole[: len(whole) // 2])                               # cut in half
    with Store(path) as s, s.reader() as con:
        same_view(computed, load_view(con, state))
    assert routes.stat().st_size == len(whole)                                 # written whole again


def test_an_import_makes_the_kept_view_stale(filled):
    path, state = filled
    with Store(path) as s:
        with s.reader() as con:
            before = load_view(con, state)
        old, = entries(path)
        list(ingest(s, [data_file(FILES[1])]))
        with s.reader() as con:
            after = load_view(con, state)
            same_view(after, compute_view(con, state))
    assert not old.exists() and len(entries(path)) == 1
    assert len(after.routes.start) >= len(before.routes.start)


def test_the_command_line_ingest_computes_the_kept_views_again(filled, capsys):
    """After an import, the window's last views are ready for the new files: what it reads then
    is what a computation on the new store gives."""
    from explorer.cli import main

    path, state = filled
    with Store(path) as s, s.reader() as con:
        load_view(con, state)
    old, = entries(path)
    assert main(["ingest", "--store", str(path), str(data_file(FILES[1]))]) == 0
    assert "view kept for the window: " + state.scope in capsys.readouterr().out
    new, = entries(path)
    assert new != old and not old.exists()
    with Store(path, read_only=True) as s, s.reader() as con:       # read-only: reads, computes nothing
        from explorer.store.kept_files import read_kept
        from explorer.store.queries import files_stamp
        from explorer.viewmodel.view import view_key

        assert read_kept(con, view_key(state, None), files_stamp(con)) is not None
        same_view(load_view(con, state), compute_view(con, state))
    assert main(["ingest", "--store", str(path), str(data_file(FILES[0]))]) == 0      # already there
    assert entries(path) == [new]                                                     # still true
    assert "view kept for the window" not in capsys.readouterr().out                 # not computed again
    assert main(["ingest", "--store", str(path), "--no-views", str(data_file("mrt/mrtparse__quagga_rib"))]) == 0
    assert entries(path) == []


def test_no_view_is_written_where_the_disk_would_be_left_nearly_full(filled, monkeypatch):
    import shutil

    from explorer.store import kept_files

    path, state = filled
    monkeypatch.setattr(kept_files, "MIN_FREE", shutil.disk_usage(path.parent).free)    # any write leaves less
    with Store(path) as s, s.reader() as con:
        same_view(load_view(con, state), compute_view(con, state))
    assert entries(path) == []
