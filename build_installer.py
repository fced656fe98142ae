"""Build the standalone desktop bundle with PyInstaller, then say what was built and how big it is.

    python build_installer.py              one folder: dist/bgp-explorer/bgp-explorer (default)
    python build_installer.py --onefile    one self-extracting file: dist/bgp-explorer
    python build_installer.py --smoke      after building, run the executable: --version, and a
                                           headless export of the demo briefing to PNG
                                           (resources/kp-2014-12.briefing.json on the demo store)

Needs the installer extra (``pip install -e '.[installer]'``; ``make installer`` does both). The
bundle carries ``resources/`` (read through ``explorer.resources``) and the native parts of the
parser (pybgpkit-parser), DuckDB, Arrow and Qt that PyInstaller's analysis finds. It is built for
the machine it is built on: build on Windows for Windows, on macOS for macOS (see the README).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
NAME = "bgp-explorer"
ENTRY = ROOT / "explorer" / "__main__.py"

# Big packages that the import analysis may drag in through optional imports and that the
# product never uses.
# (Not mrtparse: it is the Windows bundle's only MRT reader.)
EXCLUDES = ["tkinter", "matplotlib", "IPython", "jupyter_client", "notebook", "PyQt5", "PyQt6", "pytest",
            "importlinter", "grimp", "setuptools", "pip", "pandas.tests", "numpy.tests",
            "pyarrow.tests", "duckdb.experimental"]


def pyinstaller_args(onefile: bool, dist: Path, work: Path) -> list[str]:
    sep = os.pathsep        # PyInstaller's SOURCE<sep>DEST for --add-data (';' on Windows)
    args = [str(ENTRY), "--name", NAME, "--noconfirm", "--clean", "--log-level", "WARN",
            "--distpath", str(dist), "--workpath", str(work), "--specpath", str(work),
            "--onefile" if onefile else "--onedir",
            "--add-data", f"{ROOT / 'resources'}{sep}resources",
            # modules imported by name at run time (command handlers, backends)
            "--collect-submodules", "explorer",
            "--collect-data", "pyqtgraph"]
    icon = ROOT / "resources" / "icon.ico"
    if icon.exists():
        args += ["--icon", str(icon)]
    for module in EXCLUDES:
        args += ["--exclude-module", module]
    return args


def build(onefile: bool) -> Path:
    try:
        import PyInstaller.__main__
    except ImportError:
        sys.exit("build_installer: PyInstaller is not installed: pip install -e '.[installer]' (or: make installer)")
    dist = ROOT / "dist"
    work = ROOT / "build" / "pyinstaller"
    PyInstaller.__main__.run(pyinstaller_args(onefile, dist, work))
    return dist / NAME / NAME if not onefile else dist / NAME


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def smoke(exe: Path) -> None:
    """Run the bundle as a user would, without the source tree on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="bgp-explorer-smoke-") as home:
        env["HOME"] = home                      # a fresh user: no store, no settings, no demo yet
        env["XDG_DATA_HOME"] = os.path.join(home, "data")
        env["XDG_CONFIG_HOME"] = os.path.join(home, "config")
        out = subprocess.run([str(exe), "--version"], env=env, capture_output=True, text=True, timeout=120,
                             cwd=home)
        print(f"smoke: {exe.name} --version -> {out.stdout.strip() or out.stderr.strip()} (exit {out.returncode})")
        if out.returncode != 0:
            sys.exit(f"build_installer: the bundle does not start:\n{out.stderr}")
        png = Path(home) / "demo.png"
        cmd = [str(exe), "export", "--demo", "--out", str(png)]
        started = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=home)
        if out.returncode != 0 or not png.exists():
            sys.exit(f"build_installer: the bundle's headless export failed (exit {out.returncode}):\n"
                     f"{out.stdout}\n{out.stderr}")
        print(f"smoke: {' '.join(cmd[1:3])} (the demo briefing) -> {png.stat().st_size:,} bytes of PNG in "
              f"{time.perf_counter() - started:.1f} s (demo store built from scratch)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--onefile", action="store_true", help="one self-extracting executable instead of a folder")
    p.add_argument("--smoke", action="store_true", help="run the built executable headless after building")
    args = p.parse_args(argv)
    started = time.perf_counter()
    exe = build(args.onefile)
    elapsed = time.perf_counter() - started
    if not exe.exists():
        sys.exit(f"build_installer: PyInstaller finished but {exe} is missing")
    bundle = exe if args.onefile else exe.parent
    print(f"built {bundle} ({'one file' if args.onefile else 'one folder'}) in {elapsed:.0f} s: "
          f"{size_of(bundle) / 1e6:.0f} MB; run {exe}")
    if args.smoke:
        smoke(exe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
