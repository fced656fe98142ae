"""One worker thread for a group of the window's queries; a newer request supersedes a stale one.

As napari's layer slicer does, the GUI thread builds a request (a plain function and its arguments)
and hands it to a one-thread executor, with the two callbacks that receive its answer: ``done`` with
the result, ``failed`` with a message and details (empty for the user's own errors, a ValueError
and its kin, which need no traceback). Each request has a *channel* ('view', 'graph', ...): when a
new request arrives on a channel, the older one is dropped if it has not started, told to stop
through its ``cancelled`` callable if it has (it may raise ``Cancelled``), and its answer is
discarded if it arrives anyway: the check is made again on the GUI thread, just before the
callback, so an answer already on its way when a newer request was made is never delivered.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from PySide6.QtCore import QObject, Signal

from explorer.viewmodel.view import Cancelled


class QueryWorker(QObject):
    busy = Signal(bool)
    _answered = Signal(object)          # (channel, ticket, callback, arguments), queued to the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explorer-query")
        self._latest: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._pending = 0
        self._closed = False
        self._by_channel: dict[str, int] = {}
        self._lock = threading.Lock()
        self._answered.connect(self._deliver)

    def submit(self, channel: str, fn, *args, done: Callable, failed: Callable[[str, str], None] | None = None,
               **kwargs) -> int:
        """Run ``fn(*args, cancelled=..., **kwargs)`` off the GUI thread; only the newest request of a
        channel calls back, ``done(result)`` or ``failed(message, details)``, on the GUI thread."""
        if self._closed:
            return -1                           # the window is closing: nothing more to ask
        ticket = next(self._ids)
        self._latest[channel] = ticket
        cancelled = lambda: self._latest.get(channel) != ticket  # noqa: E731
        with self._lock:
            self._pending += 1
            self._by_channel[channel] = self._by_channel.get(channel, 0) + 1
        self.busy.emit(True)

        def run():
            try:
                if cancelled():
                    return
                result = fn(*args, cancelled=cancelled, **kwargs)
                if not cancelled():
                    self._answered.emit((channel, ticket, done, (result,)))
            except Cancelled:
                pass
            except Exception as exc:        # every error reaches the window, in words
                if not cancelled() and failed is not None:
                    details = "" if isinstance(exc, ValueError) else traceback.format_exc()
                    self._answered.emit((channel, ticket, failed, (str(exc) or type(exc).__name__, details)))
            finally:
                self._done(channel)

        self._pool.submit(run)
        return ticket

    def _deliver(self, answer) -> None:
        channel, ticket, callback, arguments = answer
        if self._latest.get(channel) == ticket:        # still the newest of its channel
            callback(*arguments)

    def _done(self, channel: str) -> None:
        with self._lock:
            self._pending -= 1
            self._by_channel[channel] -= 1
            idle = self._pending == 0
        if idle:
            self.busy.emit(False)

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def idle_on(self, *channels: str) -> bool:
        """No request of these channels queued or running."""
        with self._lock:
            return not any(self._by_channel.get(c, 0) for c in channels)

    def shutdown(self) -> None:
        self._closed = True
        for channel in list(self._latest):
            self._latest[channel] = -1       # every running request now reads as cancelled
        self._pool.shutdown(wait=True, cancel_futures=True)
