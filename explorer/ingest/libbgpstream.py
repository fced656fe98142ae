"""Where libbgpstream's bgpreader is: the project's own build (``make bgpstream``), the bundle, or PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENV_VAR = "BGP_EXPLORER_BGPREADER"


def find_bgpreader() -> str | None:
    """``$BGP_EXPLORER_BGPREADER``; ``<venv>/bgpstream/bin/bgpreader``; beside a frozen executable;
    else ``bgpreader`` on PATH. None when there is none."""
    named = os.environ.get(ENV_VAR)
    if named:
        return named if os.access(named, os.X_OK) else None
    places = [Path(sys.prefix) / "bgpstream" / "bin" / "bgpreader"]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        places.insert(0, Path(frozen) / "bgpstream" / "bin" / "bgpreader")
    for place in places:
        if place.is_file() and os.access(place, os.X_OK):
            return str(place)
    return shutil.which("bgpreader")
