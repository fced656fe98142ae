"""What every parser backend yields: elements as Arrow batches of ``DECODED`` columns."""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager

import pyarrow as pa

BATCH = 200_000

# One row per element, in file order; what every backend yields.
DECODED = pa.schema([
    ("ts_us", pa.int64()),
    ("withdrawal", pa.bool_()),         # else an announcement, or a RIB entry in a RIB file
    ("peer_ip", pa.string()),
    ("peer_asn", pa.int64()),
    ("prefix", pa.string()),
    ("as_path", pa.string()),           # NULL for withdrawals
])


class BackendUnavailable(RuntimeError):
    """The backend's library is not installed; the message says what to install."""


def local_path(path: str) -> str:
    """An absolute local path: never a URL (the C readers would fetch it), never read as an option."""
    if "://" in str(path):
        raise ValueError(f"{path}: only local files are read")
    return os.path.abspath(path)


def decoded_batch(ts_us, withdrawal, peer_ip, peer_asn, prefix, as_path) -> pa.RecordBatch:
    return pa.record_batch([ts_us, withdrawal, peer_ip, peer_asn, prefix, as_path], schema=DECODED)


@contextmanager
def collector_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
