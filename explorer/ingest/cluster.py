"""Where the dataset ingest's tasks run: a Dask cluster, local or at a scheduler's address.

    local:N           a LocalCluster of N worker processes (one thread each) on 127.0.0.1, made here
                      and closed at the end
    tcp://HOST:PORT   the scheduler of a cluster started with ``dask scheduler`` / ``dask worker``

Dask distributed is the optional extra ``cluster`` (``pip install '.[cluster]'``): only this module
imports it, and only when a dataset ingest runs.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from typing import Iterator

CLUSTER_EXTRA = "pip install 'bgp-history-explorer[cluster]' (Dask distributed)"


class ClusterError(ValueError):
    """A --cluster that cannot be used; the message says why."""


def parse_cluster(spec: str | None) -> tuple[str, int | str]:
    """('local', N) or ('address', 'tcp://host:port')."""
    if not spec:
        return "local", max(1, os.cpu_count() or 1)
    m = re.fullmatch(r"local(?::(\d+))?", spec.strip())
    if m:
        n = int(m.group(1) or (os.cpu_count() or 1))
        if not 1 <= n <= 256:
            raise ClusterError(f"--cluster {spec}: between 1 and 256 local workers")
        return "local", n
    if re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d+", spec.strip()):
        return "address", spec.strip()
    raise ClusterError(f"--cluster {spec}: local:N (N worker processes here) or tcp://HOST:PORT (a dask scheduler)")


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"the dataset ingest runs on Dask, which is not installed here: {CLUSTER_EXTRA}") from None
    return distributed


@contextmanager
def dask_client(spec: str | None) -> Iterator[object]:
    """A ``distributed.Client`` for ``spec`` (see the module), closed (and a local cluster with it) at the end."""
    kind, value = parse_cluster(spec)
    distributed = _distributed()
    if kind == "local":
        cluster = distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                                           host="127.0.0.1", dashboard_address=None)
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(value, timeout="20s")
    except OSError as exc:
        raise ClusterError(f"--cluster {value}: no Dask scheduler answers there ({exc})") from None
    try:
        yield client
    finally:
        client.close()
