"""Parser backends behind one small interface.

A backend turns one local MRT file into batches of normalised columns (``ColumnBatch``), whatever
library does the decoding. Each backend keeps its own tight loop over its own element objects,
because that loop is the hot path of ingest: a few attribute reads and list appends per element.

* ``bgpkit``: pybgpkit-parser (default, always installed).
* ``bgpstream``: pybgpstream, when libbgpstream is installed (its ``singlefile`` interface for
  local files; its broker for the online form of ingest).
* ``bgpdump``: Debian's bgpdump, when installed; with ``auto`` it reads the files the default
  backend cannot (legacy MRT type 5, or a file of which it decoded nothing).
"""

from __future__ import annotations

import gc
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

BATCH = 200_000


@dataclass
class ColumnBatch:
    """Elements in file order, one list per column. ``ts`` in seconds (float, microsecond precision)."""

    ts: list = field(default_factory=list)
    elem_type: list = field(default_factory=list)      # 'A' or 'W' (RIB entries come as 'A')
    peer_ip: list = field(default_factory=list)
    peer_asn: list = field(default_factory=list)
    prefix: list = field(default_factory=list)
    as_path: list = field(default_factory=list)        # None for withdrawals
    communities: list = field(default_factory=list)    # list of 'asn:value' strings, or None

    def __len__(self) -> int:
        return len(self.ts)

    def appenders(self) -> tuple:
        """The columns' bound ``append`` methods, in field order, for a backend's hot loop."""
        return (self.ts.append, self.elem_type.append, self.peer_ip.append, self.peer_asn.append,
                self.prefix.append, self.as_path.append, self.communities.append)


# (elem_type, peer_asn, prefix, as_path, communities) -> keep?
ElementPredicate = Callable[[str, int, str, str | None, list | None], bool]


class Backend(Protocol):
    name: str

    def batches(self, path: str, keep: ElementPredicate | None = None, batch_size: int = BATCH,
                kind: str = "updates") -> Iterator[ColumnBatch]:
        """Normalised elements of a local file (``kind`` 'rib' or 'updates'), ``batch_size`` at a time."""


class BackendUnavailable(RuntimeError):
    """The backend's library is not installed; the message says what to install."""


class BgpkitBackend:
    """pybgpkit-parser 0.6.2. Never give it a URL: it would fetch it."""

    name = "bgpkit"

    def __init__(self):
        import pybgpkit_parser

        self._parser = pybgpkit_parser.Parser

    def batches(self, path: str, keep: ElementPredicate | None = None, batch_size: int = BATCH,
                kind: str = "updates") -> Iterator[ColumnBatch]:
        if "://" in str(path):
            raise ValueError(f"{path}: only local files are read (the parser would download a URL)")
        # The batch keeps every element's strings and lists alive; Python's cyclic collector would
        # rescan them again and again (measured: 20% of the time on a 578k-element file). Nothing
        # here makes cycles, so it pauses while the batch fills.
        with _collector_paused():
            yield from self._batches(path, keep, batch_size)

    def _batches(self, path, keep, batch_size) -> Iterator[ColumnBatch]:
        batch = ColumnBatch()
        ts, et, ip, asn, pfx, path_, comm = batch.appenders()
        n = 0
        for e in self._parser(url=str(path)):
            if keep is not None and not keep(e.elem_type, e.peer_asn, e.prefix, e.as_path, e.communities):
                continue
            ts(e.timestamp)
            et(e.elem_type)
            ip(e.peer_ip)
            asn(e.peer_asn)
            pfx(e.prefix)
            path_(e.as_path)
            comm(e.communities)
            n += 1
            if n == batch_size:
                yield batch
                batch = ColumnBatch()
                ts, et, ip, asn, pfx, path_, comm = batch.appenders()
                n = 0
        if n:
            yield batch


class BgpstreamBackend:
    """pybgpstream over libbgpstream (CAIDA). Not installable from the registries we reach."""

    name = "bgpstream"

    def __init__(self):
        try:
            import pybgpstream
        except ImportError as exc:
            raise BackendUnavailable(
                "pybgpstream is not installed: it needs CAIDA's libbgpstream C library "
                "(https://bgpstream.caida.org/docs/install), then `pip install bgp-history-explorer[bgpstream]`. "
                f"({exc})") from None
        self._bgpstream = pybgpstream

    def stream_file(self, path: str, kind: str):
        stream = self._bgpstream.BGPStream(data_interface="singlefile")
        stream.set_data_interface_option("singlefile", "rib-file" if kind == "rib" else "upd-file", str(path))
        return stream

    def stream_online(self, collectors: list[str], start: int, end: int, record_type: str | None = None):
        """The broker form: archives of the collectors over [start, end] (Unix seconds), over the network."""
        options = dict(from_time=int(start), until_time=int(end), collectors=list(collectors))
        if record_type:
            options["record_type"] = record_type
        return self._bgpstream.BGPStream(**options)

    def batches(self, path: str, keep: ElementPredicate | None = None, batch_size: int = BATCH,
                kind: str = "updates", stream=None) -> Iterator[ColumnBatch]:
        stream = stream or self.stream_file(path, kind)
        batch = ColumnBatch()
        for elem in stream:
            etype = elem.type
            if etype not in ("A", "W", "R"):
                continue    # state changes are read from the MRT records themselves
            fields = elem.fields
            etype = "W" if etype == "W" else "A"
            as_path = fields.get("as-path")
            comms = _communities(fields.get("communities"))
            if keep is not None and not keep(etype, elem.peer_asn, fields["prefix"], as_path, comms):
                continue
            batch.ts.append(float(elem.time))
            batch.elem_type.append(etype)
            batch.peer_ip.append(str(elem.peer_address))
            batch.peer_asn.append(int(elem.peer_asn))
            batch.prefix.append(fields["prefix"])
            batch.as_path.append(as_path)
            batch.communities.append(comms)
            if len(batch) == batch_size:
                yield batch
                batch = ColumnBatch()
        if len(batch):
            yield batch


def _communities(value) -> list[str] | None:
    """pybgpstream gives a set of 'asn:value' strings (older releases: dicts with asn and value)."""
    if not value:
        return None
    return sorted(c if isinstance(c, str) else f"{c['asn']}:{c['value']}" for c in value)


@contextmanager
def _collector_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class BgpdumpBackend:
    """Debian's bgpdump (libbgpdump, C), where installed: the second, slower backend.

    It reads what pybgpkit-parser 0.6.2 does not: the deprecated MRT type 5 (BGP) files RIPE RIS
    wrote until 2000, and some messages the parser decodes to nothing (a 4,096-prefix IPv6
    withdrawal). Its one-line output (``-m``) is read field by field.
    """

    name = "bgpdump"

    def __init__(self):
        self.exe = shutil.which("bgpdump")
        if self.exe is None:
            raise BackendUnavailable("bgpdump is not installed (Debian/Ubuntu: apt-get install bgpdump)")

    def batches(self, path: str, keep: ElementPredicate | None = None, batch_size: int = BATCH,
                kind: str = "updates") -> Iterator[ColumnBatch]:
        proc = subprocess.Popen([self.exe, "-m", "-q", str(path)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, errors="replace")
        batch = ColumnBatch()
        try:
            for line in proc.stdout:
                f = line.rstrip("\n").split("|")
                if len(f) < 6 or f[2] not in ("A", "B", "W"):
                    continue        # STATE lines: the header walk reads state changes
                etype = "W" if f[2] == "W" else "A"
                at = 7 if f[0].endswith("_AP") else 6        # ADD-PATH lines carry a path id first
                as_path = f[at] if etype == "A" else None
                comms = f[at + 5].split() if etype == "A" and len(f) > at + 5 and f[at + 5] else None
                if keep is not None and not keep(etype, int(f[4]), f[5], as_path, comms):
                    continue
                batch.ts.append(float(f[1]))
                batch.elem_type.append(etype)
                batch.peer_ip.append(f[3])
                batch.peer_asn.append(int(f[4]))
                batch.prefix.append(f[5])
                batch.as_path.append(as_path)
                batch.communities.append(comms)
                if len(batch) == batch_size:
                    yield batch
                    batch = ColumnBatch()
            if len(batch):
                yield batch
        finally:
            proc.stdout.close()
            proc.kill()
            proc.wait()


BACKENDS = {"bgpkit": BgpkitBackend, "bgpstream": BgpstreamBackend, "bgpdump": BgpdumpBackend}


def get_backend(name: str = "auto") -> Backend:
    """``auto``: pybgpkit-parser, the default. A named backend that cannot load raises BackendUnavailable."""
    if name == "auto":
        name = "bgpkit"
    try:
        return BACKENDS[name]()
    except KeyError:
        raise BackendUnavailable(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}") from None
