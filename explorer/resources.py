"""Where the files of ``resources/`` are: beside the package in a checkout, inside the bundle when frozen.

The installer (``build_installer.py``) copies ``resources/`` into the bundle; PyInstaller sets
``sys._MEIPASS`` to the folder it unpacks to. Code asks ``resource_path('icon.svg')`` and never
builds such paths itself.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(name: str) -> Path:
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: a resource of the application is missing (reinstall it)")
    return path
