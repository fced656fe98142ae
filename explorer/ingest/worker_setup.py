"""What each Dask worker does once when it starts, before any task (a Dask ``WorkerPlugin``).

A worker runs tasks on threads, and mrtparse (the last fallback backend) sets a signal handler when
it is first imported, which only the main thread may do: so it is imported here, on the worker's
main thread, for every worker, including one that replaces a lost worker.
"""

from __future__ import annotations

from distributed import WorkerPlugin


class ImportBackends(WorkerPlugin):
    name = "bgp-explorer-backends"

    def setup(self, worker) -> None:
        try:
            import mrtparse  # noqa: F401
        except ImportError:
            pass
