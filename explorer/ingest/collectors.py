"""Which collector a file came from, when the user does not say (``--collector``).

The rule, applied to the whole path (folders and file name), the match nearest the file name wins:

1. A RIPE RIS collector name ``rrcNN`` (``rrc00/2014.12/updates.20141222.1615.gz``,
   ``rrc23.updates.20220421.0200.gz``).
2. A RouteViews collector name ``route-views...`` (``route-views.sg/bgpdata/2014.12/UPDATES/...``,
   ``route-views2``, ``route-views.jinx``).
3. A ``bgpdata`` folder with no collector name above it: RouteViews' archive of its original
   collector, ``route-views2`` (``bgpdata/2014.12/RIBS/rib.20141222.1600.bz2``).
4. Otherwise ``unknown``.
"""

from __future__ import annotations

import re
from pathlib import PurePath

_NAME = re.compile(r"(?<![a-z0-9])(rrc\d{2}|route-views\d*(?:\.[a-z0-9-]+)?)(?![0-9])", re.IGNORECASE)


def collector_from_path(path: str | PurePath) -> str:
    text = str(path).replace("\\", "/")
    found = list(_NAME.finditer(text))
    if found:
        return found[-1].group(1).lower()
    if "bgpdata" in PurePath(text).parts:
        return "route-views2"
    return "unknown"
