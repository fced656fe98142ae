"""An independent reading of MRT files: Debian's bgpdump (C, libbgpdump), for checking our numbers.

Tests that use it skip, saying so, when bgpdump is not installed (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest


def bgpdump_lines(path: Path) -> list[list[str]]:
    """``bgpdump -m`` output, one list of fields per line (A, W, B, STATE lines)."""
    exe = shutil.which("bgpdump")
    if exe is None:
        pytest.skip("bgpdump is not installed (apt-get install bgpdump): it is the independent reference parser")
    out = subprocess.run([exe, "-m", str(path)], capture_output=True, text=True, errors="replace", check=False)
    return [line.split("|") for line in out.stdout.splitlines() if line]


def bgpdump_counts(path: Path) -> dict[str, int]:
    """{'A': announcements, 'W': withdrawals, 'B': RIB entries, 'STATE': state changes}."""
    counts = Counter(fields[2] for fields in bgpdump_lines(path))
    return {k: counts.get(k, 0) for k in ("A", "W", "B", "STATE")}
