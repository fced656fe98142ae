"""One worker thread for every query the window makes; a newer request supersedes a stale one.

As napari's layer slicer does, the GUI thread builds a request (a plain function and its arguments)
and hands it to a one-thread executor. Each request has a *channel* ('view', 'graph', ...): when a new
request arrives on a channel, the older one is dropped if it has not started, told to stop through
its ``cancelled`` callable if it has, and its result is discarded if it arrives anyway. Results and
errors come back to the GUI thread as Qt signals (queued across threads).
"""

from __future__ import annotations

import itertools
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal


class QueryWorker(QObject):
    finished = Signal(str, object)          # channel, result
    failed = Signal(str, str, str)          # channel, message, details
    busy = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explorer-query")
        self._latest: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._pending = 0
        self._lock = threading.Lock()

    def submit(self, channel: str, fn, *args, **kwargs) -> int:
        """Run ``fn(*args, cancelled=..., **kwargs)`` off the GUI thread; only the newest per channel reports."""
        ticket = next(self._ids)
        self._latest[channel] = ticket
        cancelled = lambda: self._latest.get(channel) != ticket  # noqa: E731
        with self._lock:
            self._pending += 1
        self.busy.emit(True)

        def run():
            try:
                if cancelled():
                    return
                result = fn(*args, cancelled=cancelled, **kwargs)
                if not cancelled():
                    self.finished.emit(channel, result)
            except Exception as exc:        # every error reaches the window's one error dialog
                if not cancelled() and type(exc).__name__ != "Cancelled":
                    # ValueError and its kin (bad scope, empty window) are the user's to fix: no traceback
                    details = "" if isinstance(exc, ValueError) else traceback.format_exc()
                    self.failed.emit(channel, str(exc) or type(exc).__name__, details)
            finally:
                self._done()

        self._pool.submit(run)
        return ticket

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        if idle:
            self.busy.emit(False)

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def shutdown(self) -> None:
        for channel in list(self._latest):
            self._latest[channel] = -1       # every running request now reads as cancelled
        self._pool.shutdown(wait=True, cancel_futures=True)
