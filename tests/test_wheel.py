"""``pip install .`` as a user runs it: the wheel, installed into a fresh virtual environment (no
network: no dependencies installed, this environment's are reached through a .pth file), carries
resources/ and exports the demo briefing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["explorer", "resources", "pyproject.toml", "setup.py", "README.md"]


def test_the_installed_wheel_carries_its_resources_and_exports_the_demo(tmp_path):
    source = tmp_path / "source"                # a copy: the build writes build/ and egg-info beside it
    source.mkdir()
    for name in SOURCES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, source / name)
    for cache in source.rglob("__pycache__"):
        shutil.rmtree(cache)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("bgp_history_explorer-*.whl")

    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies (DuckDB, Qt, ...) from this environment; its editable install of explorer is a
    # .pth file inside that folder, which a path added this way does not run
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BGP_EXPLORER", "PYTHON"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               QT_QPA_PLATFORM="offscreen", BGP_EXPLORER_DEMO=str(tmp_path / "demo.duckdb"))
    where = subprocess.run([str(python), "-c", "import explorer.resources as r; print(r.resources_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where) == site / "explorer" / "resource_files"
    out = tmp_path / "demo.svg"
    export = subprocess.run([str(env_dir / "bin" / "bgp-explorer"), "export", "--demo", "--out", str(out)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert export.returncode == 0, export.stderr
    assert export.stdout.startswith(f"wrote {out}") and "Traceback" not in export.stderr
    assert "North Korea" in out.read_text()
