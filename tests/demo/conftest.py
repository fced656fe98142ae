"""The demo store, built once per test session in a temporary folder by the same function
``--demo`` uses, over a window that holds the whole outage (22 Dec 11:45 to 23 Dec 07:30 UTC).

No test here may build into the user's data folder: ``$BGP_EXPLORER_DEMO`` and
``$BGP_EXPLORER_STORE`` point into the temporary folder for the whole session.
"""

from __future__ import annotations

import pytest

from explorer.demo.scenario import Params, utc

SMALL = Params(sessions=6, background=17, collectors=2, start=utc("2014-12-22T11:45:00"), days=19.75 / 24)


@pytest.fixture(scope="session", autouse=True)
def _no_user_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BGP_EXPLORER_DEMO", str(folder / "demo.duckdb"))
        mp.setenv("BGP_EXPLORER_STORE", str(folder / "history.duckdb"))
        yield folder


@pytest.fixture(scope="session")
def demo(tmp_path_factory, _no_user_data):
    """(path of the demo store, build figures)."""
    from explorer.demo.build import build_demo_store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    stats = build_demo_store(path, SMALL)
    return path, stats


@pytest.fixture
def demo_con(demo):
    import duckdb

    con = duckdb.connect(str(demo[0]), read_only=True)
    yield con
    con.close()
