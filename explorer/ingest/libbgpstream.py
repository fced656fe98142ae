"""Where CAIDA's libbgpstream is: its ``bgpreader`` program, and whether pybgpstream (compiled against it) imports.

libbgpstream is a C library that no package registry we reach offers: a user installs CAIDA's packages
(Debian/Ubuntu, Homebrew) or runs ``make bgpstream``, which builds it from the release tarballs into
``.venv/bgpstream``; the installer carries that prefix inside the bundle (``build_installer.py``).
``bgpreader`` is looked for, first found wins:

1. ``$BGP_EXPLORER_BGPREADER``, when set (an explicit choice: if it is not a program, nothing is found);
2. ``<sys.prefix>/bgpstream/bin/bgpreader``: what ``make bgpstream`` built into the virtual environment;
3. ``<sys._MEIPASS>/bgpstream/bin/bgpreader``: inside the installer's bundle (PyInstaller's frozen app);
4. ``bgpreader`` on ``$PATH``: CAIDA's packages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ENV_VAR = "BGP_EXPLORER_BGPREADER"
_PREFIX_BIN = Path("bgpstream") / "bin" / "bgpreader"


def find_bgpreader() -> str | None:
    """The path of the ``bgpreader`` to run, or None when there is none (see the module's docstring)."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return chosen if _is_program(Path(chosen)) else None
    candidates = [Path(sys.prefix) / _PREFIX_BIN]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / _PREFIX_BIN)
    for candidate in candidates:
        if _is_program(candidate):
            return str(candidate)
    return shutil.which("bgpreader")


def bgpreader_version(bgpreader: str) -> str | None:
    """libbgpstream's version as ``bgpreader -v`` prints it ("bgpreader version 2.3.0", on stderr)."""
    try:
        out = subprocess.run([bgpreader, "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"version\s+(\S+)", out.stderr + out.stdout)
    return found.group(1) if out.returncode == 0 and found else None


def pybgpstream_available() -> bool:
    """True when pybgpstream imports, which loads its extension and so libbgpstream itself."""
    try:
        import pybgpstream  # noqa: F401
    except ImportError:
        return False
    return True


def describe() -> str:
    """One line for ``info``: which libbgpstream and pybgpstream this installation would use."""
    bgpreader = find_bgpreader()
    if bgpreader is None:
        chosen = os.environ.get(ENV_VAR)
        reader = (f"libbgpstream: ${ENV_VAR}={chosen} is not a program" if chosen else
                  "libbgpstream: not found (no bgpreader; install CAIDA's packages or run make bgpstream)")
    else:
        version = bgpreader_version(bgpreader)
        reader = (f"libbgpstream {version} ({bgpreader})" if version else
                  f"libbgpstream: {bgpreader} does not run (bgpreader -v fails)")
    if pybgpstream_available():
        try:
            python = f"pybgpstream {metadata.version('pybgpstream')}"
        except metadata.PackageNotFoundError:     # a bundle may carry the module without its metadata
            python = "pybgpstream"
    else:
        python = "pybgpstream: not installed (pip install '.[bgpstream]' once libbgpstream is there)"
    return f"{reader}; {python}"


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
