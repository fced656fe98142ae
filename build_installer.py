"""Build the standalone desktop bundle with PyInstaller, then say what was built and how big it is.

    python build_installer.py              one folder: dist/bgp-explorer/bgp-explorer (default)
    python build_installer.py --onefile    one self-extracting file: dist/bgp-explorer
    python build_installer.py --smoke      after building, run the executable: --version, and a
                                           headless export of the demo briefing to PNG
                                           (resources/kp-2014-12.briefing.json on the demo store)

Needs the installer extra (``pip install -e '.[installer]'``; ``make installer`` does both). The
bundle carries ``resources/`` (read through ``explorer.resources``) and the native parts of the
parser (pybgpkit-parser), DuckDB, Arrow and Qt that PyInstaller's analysis finds. When ``make bgpstream``
has built libbgpstream into this environment (``<venv>/bgpstream``) and pybgpstream against it, the bundle
also carries ``bgpreader`` (as ``bgpstream/bin/bgpreader``, where ``explorer.ingest.libbgpstream`` looks in
a frozen app), the shared libraries it and pybgpstream's extension load (at the bundle's top, which the
bootloader puts on ``LD_LIBRARY_PATH`` for the app and the programs it runs), and pybgpstream; otherwise
it is built without them. It is built for the machine it is built on: build on Windows for Windows, on
macOS for macOS (see the README).
"""

from __future__ import annotations

import argparse
import importlib.util
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
# (Not mrtparse: it is the Windows bundle's only MRT reader.) Dask: the dataset ingest on a cluster is
# the optional extra [cluster], run from a Python install, not from the desktop bundle, which reads
# datasets with DuckDB alone.
EXCLUDES = ["dask", "distributed", "tkinter", "matplotlib", "IPython", "jupyter_client", "notebook", "PyQt5", "PyQt6", "pytest",
            "importlinter", "grimp", "setuptools", "pip", "pandas.tests", "numpy.tests",
            "pyarrow.tests", "duckdb.experimental"]


def bgpstream_prefix() -> Path | None:
    """make bgpstream's build in this environment, when it is there with pybgpstream compiled against it."""
    prefix = Path(sys.prefix) / "bgpstream"
    if (prefix / "bin" / "bgpreader").is_file() and importlib.util.find_spec("_pybgpstream") is not None:
        return prefix
    return None


def bgpstream_args(prefix: Path) -> list[str]:
    sep = os.pathsep
    args = ["--add-binary", f"{prefix / 'bin' / 'bgpreader'}{sep}bgpstream/bin",
            "--hidden-import", "pybgpstream", "--hidden-import", "_pybgpstream", "--copy-metadata", "pybgpstream"]
    # the libraries by the names the loader asks for (libbgpstream.so.4, libwandio.so.6, libparsebgp.so.2)
    for lib in sorted(prefix.glob("lib/lib*.so.*")):
        if lib.name.count(".") == 2:
            args += ["--add-binary", f"{lib}{sep}."]
    return args


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
    prefix = bgpstream_prefix()
    if prefix is not None:
        args += bgpstream_args(prefix)
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
        if bgpstream_prefix() is not None:
            smoke_bgpstream(exe, env, home)


def smoke_bgpstream(exe: Path, env: dict[str, str], home: str) -> None:
    """The bundle's libbgpstream: the app finds its bgpreader and pybgpstream, and bgpreader runs on the
    bundle's own libraries (not this environment's, which a user's machine does not have)."""
    env = {k: v for k, v in env.items() if k != "BGP_EXPLORER_BGPREADER"}
    out = subprocess.run([str(exe), "info"], env=env, capture_output=True, text=True, timeout=120, cwd=home)
    line = next((x for x in out.stdout.splitlines() if x.startswith("Backends")), "")
    print(f"smoke: {exe.name} info -> {line}")
    if out.returncode != 0 or "libbgpstream 2." not in line or "pybgpstream 2." not in line:
        sys.exit(f"build_installer: the bundle does not find its libbgpstream:\n{out.stdout}\n{out.stderr}")
    top = exe.parent / "_internal"         # sys._MEIPASS of the one-folder bundle
    if not top.is_dir():                   # --onefile: unpacked at run time, checked through info only
        return
    bgpreader = top / "bgpstream" / "bin" / "bgpreader"
    if f"({bgpreader})" not in line:
        sys.exit(f"build_installer: the bundle's info names another bgpreader than {bgpreader}: {line}")
    # what the bootloader gives the programs the app runs: the bundle's top first on LD_LIBRARY_PATH
    child = dict(env, LD_LIBRARY_PATH=str(top))
    version = subprocess.run([str(bgpreader), "-v"], env=child, capture_output=True, text=True, timeout=30)
    loaded = subprocess.run([str(bgpreader)], env=dict(child, LD_TRACE_LOADED_OBJECTS="1"), capture_output=True,
                            text=True, timeout=30).stdout
    ours = [x.split("=>")[1].split()[0] for x in loaded.splitlines()
            if "=>" in x and any(n in x for n in ("libbgpstream", "libwandio", "libparsebgp"))]
    print(f"smoke: {bgpreader.relative_to(exe.parent.parent)} -v -> {(version.stderr + version.stdout).strip()} "
          f"(exit {version.returncode}), libraries from the bundle: {len(ours)} of 3")
    if version.returncode != 0 or len(ours) != 3 or not all(p.startswith(str(top)) for p in ours):
        sys.exit(f"build_installer: the bundle's bgpreader does not run on the bundle's libraries:\n{loaded}")


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
