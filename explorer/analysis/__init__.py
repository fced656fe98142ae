"""Answers over the store: scope, visibility, events, AS-path graph. Plain numpy and dataclasses.

Every function takes a DuckDB connection (a thread's ``Store.reader()``, whose store cache keeps
what is derived once, or any connection), a ``Window`` and ``Definitions``, so the command line,
exports and the window compute the same way.
"""

from explorer.analysis.definitions import Definitions, Window
from explorer.analysis.errors import AnalysisError

__all__ = ["AnalysisError", "Definitions", "Window"]
