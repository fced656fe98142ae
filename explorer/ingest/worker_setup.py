"""What each Dask worker does once when it starts, before any task (a Dask ``WorkerPlugin``).

mrtparse (the last fallback backend) sets a signal handler when it is first imported; it is imported
here once per worker, including one that replaces a lost worker, through the backend's own import,
which leaves SIGPIPE ignored (``backend_mrtparse.import_mrtparse``).
"""

from __future__ import annotations

from distributed import WorkerPlugin


class ImportBackends(WorkerPlugin):
    name = "bgp-explorer-backends"

    def setup(self, worker) -> None:
        from explorer.ingest.backend_mrtparse import import_mrtparse

        try:
            import_mrtparse()
        except ImportError:
            pass
