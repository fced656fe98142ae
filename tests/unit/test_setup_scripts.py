"""The README's test command installs what pip cannot, as it does Qt's libraries: `make test` runs
.ci/bgpdump and .ci/rsvg, which install Debian's bgpdump and librsvg2-bin as root with apt-get and
otherwise name the package."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_test_installs_bgpdump_before_the_tests():
    dry = subprocess.run(["make", "-n", "-W", "pyproject.toml", "test"], cwd=ROOT, capture_output=True, text=True)
    lines = dry.stdout.splitlines()
    assert ".ci/bgpdump" in lines
    assert lines.index(".ci/bgpdump") < next(i for i, line in enumerate(lines) if "pytest" in line)


def test_without_bgpdump_or_apt_get_the_script_names_the_package(tmp_path):
    bin_dir = tmp_path / "bin"               # a PATH with neither bgpdump nor apt-get
    bin_dir.mkdir()
    os.symlink(shutil.which("id"), bin_dir / "id")
    proc = subprocess.run([shutil.which("bash"), str(ROOT / ".ci" / "bgpdump")], env={"PATH": str(bin_dir)},
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stderr == ("bgpdump: not installed, so the tests that compare with it will skip: install bgpdump "
                           "(Debian/Ubuntu: apt-get install bgpdump) and run again\n")


def test_make_test_installs_rsvg_convert_before_the_tests():
    dry = subprocess.run(["make", "-n", "-W", "pyproject.toml", "test"], cwd=ROOT, capture_output=True, text=True)
    lines = dry.stdout.splitlines()
    assert ".ci/rsvg" in lines
    assert lines.index(".ci/rsvg") < next(i for i, line in enumerate(lines) if "pytest" in line)


def test_without_rsvg_convert_or_apt_get_the_script_names_the_package(tmp_path):
    bin_dir = tmp_path / "bin"               # a PATH with neither rsvg-convert nor apt-get
    bin_dir.mkdir()
    os.symlink(shutil.which("id"), bin_dir / "id")
    proc = subprocess.run([shutil.which("bash"), str(ROOT / ".ci" / "rsvg")], env={"PATH": str(bin_dir)},
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stderr == ("rsvg: rsvg-convert is not installed, so the test that renders SVG exports with it will "
                           "skip: install librsvg2-bin (Debian/Ubuntu: apt-get install librsvg2-bin) and run again\n")
