"""Where the files of ``resources/`` are: in an installed wheel, in a checkout, or inside the bundle.

A wheel carries them as the package data ``explorer/resource_files/`` (setup.py maps the checkout's
top-level ``resources/`` there); a checkout (and an editable install) reads ``resources/`` beside the
package; the installer (``build_installer.py``) copies ``resources/`` into its bundle, and
PyInstaller sets ``sys._MEIPASS`` to the folder it unpacks to. Code asks
``resource_path('icon.svg')`` and never builds such paths itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    installed = _PACKAGE / "resource_files"
    return installed if installed.is_dir() else _PACKAGE.parent / "resources"


def resource_path(name: str) -> Path:
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: a resource of the application is missing (reinstall it)")
    return path
