"""Reading registry files, and importing them into the store (``bgp-explorer registry import``).

Three kinds, told by content, plain or gzip:

* RIR delegation statistics, ``registry|cc|type|start|value|date|status[|opaque-id]`` (the
  extended format adds the last column). The header ``2|apnic|20141009|...`` gives the registry
  and the day the file describes; summary lines and blocks with no country are skipped.
* AS-names files: one JSON object ``{"131279": "STAR-KP Ryugyong-dong, KP", ...}`` (pyasn's format).
* CAIDA AS-to-organisation files: ``# format:aut|changed|aut_name|org_id|...`` and
  ``# format:org_id|changed|org_name|country|...`` sections.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa


class RegistryFileError(ValueError):
    """A file that is none of the registry formats, or is damaged; the message names it."""


@dataclass
class RegistryFile:
    path: str
    kind: str                           # 'delegation' | 'asnames' | 'as2org'
    registry: str | None = None
    file_date: date | None = None
    ranges: list[tuple[int, int, int, str]] = field(default_factory=list)   # af, lo, hi, cc
    asns: list[tuple[int, int, str]] = field(default_factory=list)          # lo, hi, cc
    names: list[tuple[int, str, str | None]] = field(default_factory=list)  # asn, name, cc

    @property
    def records(self) -> int:
        return len(self.ranges) + len(self.asns) + len(self.names)


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def _date_from_name(path: Path) -> date | None:
    m = re.search(r"(19|20)\d{6}", path.name)
    return datetime.strptime(m.group(0), "%Y%m%d").date() if m else None


def read_registry_file(path: str | Path) -> RegistryFile:
    path = Path(path)
    text = _text(path)
    head = text.lstrip()[:1]
    if head == "{":
        return _read_asnames(path, text)
    if "# format:aut|" in text[:20000] or "# format:org_id|" in text[:20000]:
        return _read_as2org(path, text)
    if re.search(r"^\w+\|[A-Z*]{0,2}\|(asn|ipv4|ipv6)\|", text, re.M):
        return _read_delegation(path, text)
    raise RegistryFileError(f"{path}: not a registry file this tool reads (RIR delegation statistics, "
                            "an AS-names JSON file or a CAIDA AS-to-organisation file)")


def _read_delegation(path: Path, text: str) -> RegistryFile:
    out = RegistryFile(str(path), "delegation", file_date=_date_from_name(path))
    for n, line in enumerate(text.splitlines(), 1):
        if not line or line[0] == "#":
            continue
        f = line.split("|")
        if f[0][:1].isdigit() and len(f) >= 3 and out.registry is None:       # header: version|registry|serial|...
            out.registry = f[1]
            if re.fullmatch(r"\d{8}", f[2]):
                out.file_date = datetime.strptime(f[2], "%Y%m%d").date()
            continue
        if len(f) < 7 or f[5] == "summary" or f[1] in ("", "*", "ZZ"):
            continue
        out.registry = out.registry or f[0]
        cc, kind, start, value = f[1].upper(), f[2], f[3], f[4]
        try:
            if kind == "asn":
                out.asns.append((int(start), int(start) + int(value) - 1, cc))
            elif kind == "ipv4":
                lo = int(ipaddress.IPv4Address(start))
                out.ranges.append((4, lo, lo + int(value) - 1, cc))
            elif kind == "ipv6" and int(value) <= 64:
                lo = int(ipaddress.IPv6Address(start)) >> 64
                out.ranges.append((6, lo, lo + (1 << (64 - int(value))) - 1, cc))
        except ValueError as exc:
            raise RegistryFileError(f"{path}, line {n}: cannot read {line!r} ({exc})") from None
    return out


def _read_asnames(path: Path, text: str) -> RegistryFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryFileError(f"{path}: an AS-names file must be one JSON object ({exc})") from None
    out = RegistryFile(str(path), "asnames", file_date=_date_from_name(path))
    for asn, label in data.items():
        m = re.search(r", ([A-Z]{2})$", label or "")
        out.names.append((int(asn), label[:m.start()] if m else label, m.group(1) if m else None))
    return out


def _read_as2org(path: Path, text: str) -> RegistryFile:
    out = RegistryFile(str(path), "as2org", file_date=_date_from_name(path))
    section, orgs, auts = None, {}, []
    for line in text.splitlines():
        if line.startswith("# format:"):
            section = "aut" if line.startswith("# format:aut|") else "org"
            continue
        if not line or line[0] == "#":
            continue
        f = line.split("|")
        if section == "org" and len(f) >= 4:
            orgs[f[0]] = (f[2], f[3] or None)
        elif section == "aut" and len(f) >= 4 and f[0].isdigit():
            auts.append((int(f[0]), f[2], f[3]))
    for asn, aut_name, org_id in auts:
        org_name, cc = orgs.get(org_id, (None, None))
        out.names.append((asn, f"{aut_name} - {org_name}" if org_name else aut_name, cc))
    return out


def import_registry_files(store, paths) -> list[tuple[RegistryFile | None, str]]:
    """Import each file in its own transaction; returns (file, 'imported' | 'already imported')."""
    results = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if store.con.execute("SELECT 1 FROM registry_files WHERE sha256 = ?", [sha]).fetchone():
            results.append((None, f"already imported: {path}"))
            continue
        rf = read_registry_file(path)
        with store.transaction() as con:
            fid = con.execute("SELECT nextval('registry_file_ids')").fetchone()[0]
            con.execute("INSERT INTO registry_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [fid, str(path.resolve()), sha, rf.kind, rf.registry, rf.file_date, rf.records,
                         datetime.now(timezone.utc).replace(tzinfo=None)])
            _insert(con, "registry_ranges", fid, rf.ranges, ["af", "lo", "hi", "cc"],
                    [pa.uint8(), pa.uint64(), pa.uint64(), pa.string()])
            _insert(con, "registry_asns", fid, rf.asns, ["lo", "hi", "cc"], [pa.uint64(), pa.uint64(), pa.string()])
            _insert(con, "as_names", fid, rf.names, ["asn", "name", "cc"], [pa.uint64(), pa.string(), pa.string()])
        results.append((rf, "imported"))
    return results


def _insert(con, table: str, fid: int, rows: list[tuple], names: list[str], types: list) -> None:
    if not rows:
        return
    cols = list(zip(*rows))
    batch = pa.table({n: pa.array(c, type=t) for n, c, t in zip(names, cols, types)})  # noqa: F841
    con.execute(f"INSERT INTO {table} SELECT ?, {', '.join(names)} FROM batch", [fid])
