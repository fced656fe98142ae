"""Shared test fixtures: the real archives in ../shared/data (read in place) and fresh stores."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()
DATA = SHARED / "data"


def data_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test saying which file is missing."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests read the real archives of ../shared/data in place")
    return path


NO_LIBBGPSTREAM = ("libbgpstream is not built here: `make bgpstream` builds it and pybgpstream from the release "
                   "tarballs in $BGPSTREAM_SRC (default ../shared/vendor)")


def bgpreader_or_skip() -> str:
    """The bgpreader the application would run, or skip the test saying how to get one."""
    from explorer.ingest.libbgpstream import find_bgpreader

    found = find_bgpreader()
    if found is None:
        pytest.skip(NO_LIBBGPSTREAM)
    return found


def pybgpstream_or_skip():
    """The pybgpstream module, or skip the test saying how to get it."""
    from explorer.ingest.libbgpstream import pybgpstream_available

    if not pybgpstream_available():
        pytest.skip(NO_LIBBGPSTREAM)
    import pybgpstream

    return pybgpstream


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "history.duckdb"


@pytest.fixture
def store(store_path):
    from explorer.store import Store

    with Store(store_path) as s:
        yield s


@pytest.fixture(scope="session")
def et2015_store(tmp_path_factory) -> Path:
    """A store holding the whole 2015 BGP4MP_ET file (one session's full table), built once per run.

    Tests open it read-only and must not change it.
    """
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    source = data_file("mrt/bgpdump__updates.et-header.2015.gz")
    path = tmp_path_factory.mktemp("et2015") / "history.duckdb"
    with Store(path) as s:
        list(ingest(s, [source]))
    return path


@pytest.fixture(scope="session")
def _kp2015_template(tmp_path_factory) -> Path:
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    source = data_file("mrt/bgpdump__updates.et-header.2015.gz")
    path = tmp_path_factory.mktemp("kp2015") / "history.duckdb"
    with Store(path) as s:
        list(ingest(s, [source], filter_text="prefix more 175.45.176.0/22"))
    return path


@pytest.fixture
def kp2015_store(_kp2015_template, tmp_path) -> Path:
    """A fresh copy of a store holding the 2015 file's elements for 175.45.176.0/22 (the four KP /24s)."""
    import shutil

    path = tmp_path / "kp.duckdb"
    shutil.copy(_kp2015_template, path)
    return path


@pytest.fixture
def loopback_broker(tmp_path, monkeypatch):
    """A BGPStream broker on 127.0.0.1 offering real archives of ../shared/data (tests/broker.py).

    While it runs, every connection to anything but 127.0.0.1 goes to its guard, which refuses it and
    lists it in ``loopback_broker.leaks()``.
    """
    from tests.broker import CATALOGUE, LoopbackBroker

    for dump in CATALOGUE:
        data_file(dump.path)
    with LoopbackBroker(tmp_path) as broker:
        for name, value in broker.proxy_env().items():
            monkeypatch.setenv(name, value)
        yield broker


def pytest_collection_finish(session):
    """Fail the run at once, and say why, if an import during collection left SIGPIPE at its default
    action (mrtparse's own __init__ does that): a later write to a closed pipe would kill pytest with
    status 141 and no report."""
    import signal

    if hasattr(signal, "SIGPIPE") and signal.getsignal(signal.SIGPIPE) == signal.SIG_DFL:
        raise pytest.UsageError("SIGPIPE was reset to its default action during collection (a bare `import "
                                "mrtparse`?): import it through explorer.ingest.backend_mrtparse.import_mrtparse")


@pytest.fixture(autouse=True)
def _sigpipe_stays_ignored():
    """The same after every test: the test that reset SIGPIPE fails by name (and it is set back),
    instead of a later one dying with the whole run."""
    import signal

    yield
    if hasattr(signal, "SIGPIPE") and signal.getsignal(signal.SIGPIPE) == signal.SIG_DFL:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        pytest.fail("this test left SIGPIPE at its default action (a bare `import mrtparse`?)")
