"""The window's tests: real widgets, offscreen, on real DuckDB stores built in a temporary folder.

QT_QPA_PLATFORM=offscreen is set before Qt loads, and the window's QSettings go to a temporary
folder, so tests neither need a display nor touch the user's settings.
"""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bgp-explorer-ui-settings-")

from tests.conftest import data_file  # noqa: E402

KP_FILES = ["mrt/bgpdump__updates.et-header.2015.gz", "mrt/dnas__rrc23.updates.20220421.0200.gz"]


@pytest.fixture(scope="session")
def kp_store_path(tmp_path_factory):
    """A store of two real update files holding North Korea's /24s: one session's path
    2914 1239 4837 131279 (2015), and churn on 175.45.177.0/24 at rrc23 (2022-04-21 02:00 to 02:05)."""
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    files = [str(data_file(f)) for f in KP_FILES]
    path = tmp_path_factory.mktemp("kp") / "history.duckdb"
    with Store(path) as store:
        outcomes = [e for e in ingest(store, files) if hasattr(e, "status")]
    assert [o.status for o in outcomes] == ["ok", "ok"], [o.summary() for o in outcomes]
    return path


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory):
    """The demo store, built by the function ``--demo`` uses, over 22 Dec 11:45 to 23 Dec 07:30 UTC
    (both outages) with fewer sessions and background prefixes than the full demo, to stay quick."""
    from explorer.demo.build import build_demo_store
    from explorer.demo.scenario import Params, utc

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_store(path, Params(sessions=6, background=17, collectors=2, start=utc("2014-12-22T11:45:00"),
                                  days=19.75 / 24))
    return path


@pytest.fixture(autouse=True)
def _no_user_data(tmp_path, monkeypatch):
    """No test builds or reads anything in the user's data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.delenv("BGP_EXPLORER_STORE", raising=False)
    monkeypatch.setenv("BGP_EXPLORER_DEMO", str(tmp_path / "user-data" / "no-demo-here.duckdb"))


@pytest.fixture
def open_window(qtbot):
    """Open an ExplorerWindow on a store and wait until the view and the graph at its cursor are painted."""
    from explorer.store import Store
    from explorer.ui.offscreen import app_instance, wait_until_shown
    from explorer.ui.window import ExplorerWindow

    app_instance()
    opened = []

    def _open(path, state, size=(1600, 950), remember=False):
        store = Store(path)
        w = ExplorerWindow(store, state, remember=remember)
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        assert wait_until_shown(w, 60), "the view did not load"
        opened.append((w, store))
        return w

    yield _open
    for w, store in opened:
        w.close()
        store.close()
