"""Where the application finds libbgpstream: explorer.ingest.libbgpstream, on the real bgpreader when built."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from explorer.ingest import libbgpstream
from explorer.ingest.libbgpstream import ENV_VAR, describe, find_bgpreader
from tests.conftest import NO_LIBBGPSTREAM, bgpreader_or_skip, pybgpstream_or_skip

# the real one, found before any test hides it
REAL = find_bgpreader()


def real_bgpreader() -> str:
    if REAL is None:
        pytest.skip(NO_LIBBGPSTREAM)
    return REAL


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """No bgpreader anywhere: no setting, a prefix without one, not frozen, an empty $PATH."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(sys, "prefix", str(empty))
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    return tmp_path


def test_the_virtual_environment_s_own_build_is_found_first(monkeypatch):
    built = Path(sys.prefix) / "bgpstream" / "bin" / "bgpreader"
    if not built.exists():
        pytest.skip(f"{built} is absent: make bgpstream builds it")
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert find_bgpreader() == str(built)


def test_the_setting_wins_and_is_not_second_guessed(nowhere, monkeypatch):
    real = real_bgpreader()
    link = nowhere / "chosen" / "bgpreader"
    link.parent.mkdir()
    link.symlink_to(real)
    monkeypatch.setenv(ENV_VAR, str(link))
    assert find_bgpreader() == str(link)

    text = nowhere / "notes.txt"
    text.write_text("not a program\n")
    monkeypatch.setenv(ENV_VAR, str(text))
    monkeypatch.setenv("PATH", str(Path(real).parent))      # a bgpreader on $PATH is not taken instead
    assert find_bgpreader() is None
    assert describe().startswith(f"libbgpstream: ${ENV_VAR}={text} is not a program;")


def test_inside_a_frozen_bundle(nowhere, monkeypatch):
    real = real_bgpreader()
    bundle = nowhere / "_internal"
    (bundle / "bgpstream" / "bin").mkdir(parents=True)
    (bundle / "bgpstream" / "bin" / "bgpreader").symlink_to(real)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert find_bgpreader() == str(bundle / "bgpstream" / "bin" / "bgpreader")


def test_on_the_path_last(nowhere, monkeypatch):
    real = real_bgpreader()
    on_path = nowhere / "bin"
    on_path.mkdir()
    (on_path / "bgpreader").symlink_to(real)
    monkeypatch.setenv("PATH", str(on_path))
    assert find_bgpreader() == str(on_path / "bgpreader")


def test_nothing_found_says_what_to_do(nowhere):
    assert find_bgpreader() is None
    assert describe().startswith("libbgpstream: not found (no bgpreader; install CAIDA's packages or run make "
                                 "bgpstream);")


def test_a_bgpreader_that_does_not_run(nowhere, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/bin/false")
    assert find_bgpreader() == "/bin/false"
    assert libbgpstream.bgpreader_version("/bin/false") is None
    assert describe().startswith("libbgpstream: /bin/false does not run (bgpreader -v fails);")


def test_describe_names_the_versions_in_use(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    bgpreader = bgpreader_or_skip()
    pybgpstream_or_skip()
    assert libbgpstream.bgpreader_version(bgpreader) == "2.3.0"
    assert libbgpstream.pybgpstream_available()
    assert describe() == f"libbgpstream 2.3.0 ({bgpreader}); pybgpstream 2.0.2"


def test_pybgpstream_loads_the_library_bgpreader_belongs_to(monkeypatch):
    """pybgpstream's extension and bgpreader use one libbgpstream (the rpath of make bgpstream's build)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    bgpreader = bgpreader_or_skip()
    pybgpstream_or_skip()
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/maps")
    lib = str(Path(bgpreader).resolve().parents[1] / "lib")
    loaded = {line.split()[-1] for line in open("/proc/self/maps") if "libbgpstream" in line}
    assert loaded and all(os.path.dirname(p) == lib for p in loaded)


def test_info_says_it_even_without_a_store(tmp_path, monkeypatch, capsys):
    from explorer.cli import main
    from explorer.store.location import ENV_VAR as STORE_VAR

    monkeypatch.setenv(STORE_VAR, str(tmp_path / "none-yet.duckdb"))
    assert main(["info"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Backends   {describe()}"
