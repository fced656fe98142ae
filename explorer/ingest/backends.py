"""Parser backends behind one small interface: a local MRT file in, Arrow batches of elements out.

Every backend yields ``DECODED`` record batches (one row per RIB entry, announcement or
withdrawal, in file order), whatever library decodes underneath, and applies the element filter
as close to the decoder as it can (``filters.ElementFilter``):

* ``bgpstream``: libbgpstream's ``bgpreader`` (C), its one-line-per-element output read by Arrow's
  CSV reader in C++ threads, so no Python object is made per element. The filter goes to it as
  bgpstream filter text, which it parses itself. Where libbgpstream is installed
  (``make bgpstream``), the default for RouteViews and RIS archives.
* ``bgpkit``: pybgpkit-parser (Rust), one Python object per element; the clauses it knows go to
  its ``filters``, Python tests the rest.
* ``bgpdump``: Debian's bgpdump (C), where installed: it reads legacy MRT type 5 files.
* ``mrtparse``: pure Python (``pip install mrtparse``), slow; the last resort, and the one that
  needs no compiled parser (Windows).

``order_for(kind)`` is the order in which ``auto`` tries them (see ``reader.parse_file``).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from explorer.ingest.backend_mrtparse import MrtparseBackend
from explorer.ingest.decoded import BATCH, DECODED, BackendUnavailable, decoded_batch, collector_paused, local_path
from explorer.ingest.filters import ElementFilter
from explorer.ingest.libbgpstream import find_bgpreader

__all__ = ["BATCH", "BACKENDS", "DECODED", "Backend", "BackendUnavailable", "available", "get_backend", "order_for",
           "register"]

class Backend(Protocol):
    name: str

    def decode(self, path: str, kind: str, flt: ElementFilter | None = None) -> Iterator[pa.RecordBatch]:
        """``DECODED`` batches of a local file (``kind``: 'rib', 'updates' or 'legacy')."""


# -- libbgpstream -------------------------------------------------------------------------------

# bgpreader -e: dump type, elem type, record time, project, collector, router, router IP, peer ASN,
# peer IP, prefix, next hop, AS path, origin AS, communities, old state, new state
_BGPREADER_COLUMNS = ["dump_type", "elem_type", "time", "project", "collector", "router", "router_ip",
                      "peer_asn", "peer_ip", "prefix", "next_hop", "as_path", "origin", "communities",
                      "old_state", "new_state"]
_BGPREADER_TYPES = {"elem_type": pa.string(), "time": pa.float64(), "peer_asn": pa.int64(),
                    "peer_ip": pa.string(), "prefix": pa.string(), "as_path": pa.string()}


class BgpstreamBackend:
    """libbgpstream's bgpreader, read as columns."""

    name = "bgpstream"

    def __init__(self):
        self.exe = find_bgpreader()
        if self.exe is None:
            raise BackendUnavailable(
                "libbgpstream is not installed: `make bgpstream` builds it from CAIDA's release tarballs, or "
                "install CAIDA's packages (https://bgpstream.caida.org/docs/install)")

    def command(self, path: str, kind: str, flt: ElementFilter | None) -> list[str]:
        option = "rib-file" if kind == "rib" else "upd-file"
        cmd = [self.exe, "-d", "singlefile", "-o", f"{option}={local_path(path)}"]
        text = flt.element_text() if flt is not None else ""
        if text:
            cmd += ["-f", text]
        return cmd

    def decode(self, path: str, kind: str, flt: ElementFilter | None = None) -> Iterator[pa.RecordBatch]:
        proc = subprocess.Popen(self.command(path, kind, flt), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _widen_pipe(proc.stdout)
        try:
            reader = pacsv.open_csv(
                proc.stdout,
                read_options=pacsv.ReadOptions(column_names=_BGPREADER_COLUMNS, block_size=8 << 20),
                parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False, escape_char=False,
                                                 invalid_row_handler=lambda row: "skip"),
                convert_options=pacsv.ConvertOptions(column_types=_BGPREADER_TYPES,
                                                     include_columns=list(_BGPREADER_TYPES),
                                                     strings_can_be_null=True, quoted_strings_can_be_null=False))
            yield from _from_bgpreader(reader)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" not in str(exc):
                raise
        finally:
            proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace")
            proc.stderr.close()
            code = proc.wait()
        # 'ERROR: Failed to get elem from record' is bgpreader's word for a record it cannot tie to
        # a peer (a RIB without its peer index table); the header walk says what the file holds.
        if code not in (0, 255) and not err.strip().startswith("WARN"):
            raise RuntimeError(f"bgpreader exited with status {code}: {err.strip()[-300:]}")


_PIPE_BYTES = 1 << 20


def _widen_pipe(stream) -> None:
    """Linux: a 1 MiB pipe instead of 64 KiB, so bgpreader writes on while Arrow parses what came
    (on the 578k-element et-header file, 1.1-1.4 s instead of 1.35-1.6 s)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass        # not Linux, or above /proc/sys/fs/pipe-max-size: the default pipe works too


def _from_bgpreader(reader) -> Iterator[pa.RecordBatch]:
    import pyarrow.compute as pc

    for rb in reader:
        et = rb.column("elem_type")
        keep = pc.is_in(et, value_set=pa.array(["R", "A", "W"]))     # not S(tate), B(egin), E(nd)
        rb = rb.filter(keep)
        if not rb.num_rows:
            continue
        ts = rb.column("time").to_numpy(zero_copy_only=False)
        withdrawal = pc.equal(rb.column("elem_type"), "W")
        # an empty AS path (a route of the collector's own AS) is '', as the other backends give it
        path = pc.if_else(withdrawal, pa.scalar(None, pa.string()), pc.fill_null(rb.column("as_path"), ""))
        yield decoded_batch(pa.array(np.rint(ts * 1e6).astype(np.int64)), withdrawal, rb.column("peer_ip"),
                     rb.column("peer_asn"), rb.column("prefix"), path)


# -- pybgpkit-parser ----------------------------------------------------------------------------

class BgpkitBackend:
    """pybgpkit-parser 0.6.2. Never give it a URL: it would fetch it."""

    name = "bgpkit"

    def __init__(self):
        try:
            import pybgpkit_parser
        except ImportError as exc:
            raise BackendUnavailable(f"pybgpkit-parser is not installed ({exc}); it has no Windows wheel") from None
        self._parser = pybgpkit_parser.Parser

    def decode(self, path: str, kind: str, flt: ElementFilter | None = None) -> Iterator[pa.RecordBatch]:
        pushed, residual = (flt.for_bgpkit() if flt is not None else ({}, None))
        parser = self._parser(url=local_path(path), filters=pushed) if pushed else self._parser(url=local_path(path))
        # The lists keep every element's strings alive; Python's cyclic collector would rescan them
        # again and again (measured: 20% of the time on a 578k-element file). Nothing here makes
        # cycles, so it pauses while a batch fills.
        with collector_paused():
            yield from _bgpkit_batches(parser, residual, kind == "rib")


def _bgpkit_batches(parser, residual: ElementFilter | None, rib: bool) -> Iterator[pa.RecordBatch]:
    ts, et, ip, asn, pfx, path = [], [], [], [], [], []
    appenders = ts.append, et.append, ip.append, asn.append, pfx.append, path.append
    a_ts, a_et, a_ip, a_asn, a_pfx, a_path = appenders
    matches = residual.matches if residual is not None else None
    n = 0
    for e in parser:
        if matches is not None:
            kind = e.elem_type
            if not matches("R" if rib and kind == "A" else kind, e.peer_asn, e.prefix, e.as_path, e.communities):
                continue
        a_ts(e.timestamp)
        a_et(e.elem_type)
        a_ip(e.peer_ip)
        a_asn(e.peer_asn)
        a_pfx(e.prefix)
        a_path(e.as_path)
        n += 1
        if n == BATCH:
            yield _from_lists(ts, et, ip, asn, pfx, path)
            ts, et, ip, asn, pfx, path = [], [], [], [], [], []
            a_ts, a_et, a_ip, a_asn, a_pfx, a_path = (ts.append, et.append, ip.append, asn.append, pfx.append,
                                                      path.append)
            n = 0
    if n:
        yield _from_lists(ts, et, ip, asn, pfx, path)


def _from_lists(ts, et, ip, asn, pfx, path) -> pa.RecordBatch:
    import pyarrow.compute as pc

    ts_us = np.rint(np.asarray(ts, dtype=np.float64) * 1e6).astype(np.int64)
    return decoded_batch(pa.array(ts_us), pc.equal(pa.array(et, pa.string()), "W"), pa.array(ip, pa.string()),
                  pa.array(asn, pa.int64()), pa.array(pfx, pa.string()), pa.array(path, pa.string()))


# -- bgpdump ------------------------------------------------------------------------------------

class BgpdumpBackend:
    """Debian's bgpdump (libbgpdump, C), where installed. It reads the deprecated MRT type 5 (BGP)
    files RIPE RIS wrote until 2000, and messages pybgpkit-parser decodes to nothing. Its one-line
    output (``-m``) has a different number of fields per line type, so it is read line by line."""

    name = "bgpdump"

    def __init__(self):
        self.exe = shutil.which("bgpdump")
        if self.exe is None:
            raise BackendUnavailable("bgpdump is not installed (Debian/Ubuntu: apt-get install bgpdump)")

    def decode(self, path: str, kind: str, flt: ElementFilter | None = None) -> Iterator[pa.RecordBatch]:
        with _named_by_content(local_path(path)) as named:
            yield from self._decode(named, kind, flt)

    def _decode(self, path: str, kind: str, flt: ElementFilter | None) -> Iterator[pa.RecordBatch]:
        matches = flt.matches if flt is not None and not flt.is_empty else None
        proc = subprocess.Popen([self.exe, "-m", "-q", path], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, errors="replace")
        ts, et, ip, asn, pfx, paths = [], [], [], [], [], []
        try:
            for line in proc.stdout:
                f = line.rstrip("\n").split("|")
                if len(f) < 6 or f[2] not in ("A", "B", "W"):
                    continue        # STATE lines: the header walk reads state changes
                withdrawal = f[2] == "W"
                at = 7 if f[0].endswith("_AP") else 6        # ADD-PATH lines carry a path id after the prefix
                as_path = None if withdrawal else f[at]
                if matches is not None:
                    comms = f[at + 5].split() if not withdrawal and len(f) > at + 5 and f[at + 5] else None
                    shown = "W" if withdrawal else ("R" if kind == "rib" else "A")
                    if not matches(shown, int(f[4]), f[5], as_path, comms):
                        continue
                ts.append(float(f[1]))
                et.append("W" if withdrawal else "A")
                ip.append(f[3])
                asn.append(int(f[4]))
                pfx.append(f[5])
                paths.append(as_path)
                if len(ts) == BATCH:
                    yield _from_lists(ts, et, ip, asn, pfx, paths)
                    ts, et, ip, asn, pfx, paths = [], [], [], [], [], []
            if ts:
                yield _from_lists(ts, et, ip, asn, pfx, paths)
        finally:
            proc.stdout.close()
            proc.kill()
            proc.wait()


@contextmanager
def _named_by_content(path: str):
    """bgpdump tells gzip and bzip2 by the file name's end; a file named otherwise is read through a
    temporary link whose name ends as its content is compressed."""
    with open(path, "rb") as fh:
        head = fh.read(3)
    suffix = ".gz" if head[:2] == b"\x1f\x8b" else ".bz2" if head == b"BZh" else ""
    if path.endswith(suffix) and (suffix or not path.endswith((".gz", ".bz2"))):
        yield path
        return
    import tempfile

    folder = tempfile.mkdtemp(prefix="bgp-explorer-bgpdump-")
    link = os.path.join(folder, "input.mrt" + suffix)
    try:
        os.symlink(path, link)
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


BACKENDS = {"bgpstream": BgpstreamBackend, "bgpkit": BgpkitBackend, "bgpdump": BgpdumpBackend,
            "mrtparse": MrtparseBackend}


def register(name: str, cls) -> None:
    BACKENDS[name] = cls


def get_backend(name: str) -> Backend:
    """A named backend; BackendUnavailable when its library is missing or the name is unknown."""
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise BackendUnavailable(f"unknown backend {name!r}; choose one of auto, {', '.join(BACKENDS)}") from None
    return cls()


def order_for(kind: str, backend: str = "auto") -> list[str]:
    """The backends ``auto`` tries for a file of this kind, best first; only the named one otherwise.

    Legacy MRT type 5 files: only mrtparse and bgpdump read them, mrtparse better (bgpdump prints the
    peer's address as the prefix of every withdrawal there: two inet_ntoa calls share a buffer).
    """
    if backend != "auto":
        return [backend]
    if kind == "legacy":
        return ["mrtparse", "bgpdump"]
    return ["bgpstream", "bgpkit", "bgpdump", "mrtparse"]


def available(names: list[str]) -> list[Backend]:
    out = []
    for name in names:
        try:
            out.append(get_backend(name))
        except BackendUnavailable:
            continue
    return out
