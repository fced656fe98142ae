"""Briefing files: what an analyst saved, as one JSON document that reopens the same view elsewhere.

Schema (version 1)::

    {
      "format": "bgp-explorer-briefing",
      "version": 1,
      "title": "North Korea offline, 22-23 December 2014",
      "created": "2026-11-23T18:00:00Z",
      "view": { ViewState.to_dict(): scope_kind, scope, start, end, step, at, definitions, ... },
      "annotations": [ {"text": "all four prefixes withdrawn", "start": "2014-12-22T16:15:00Z",
                        "end": null}, ... ],
      "store": { "demo": false, "files": [ {"path": "...", "sha256": "64 hex digits"}, ... ] }
    }

Reading one never executes anything (plain JSON, no pickle) and trusts nothing: every field is
type-checked and bounded, and a bad file is refused whole with a message that names the field.
The store's file paths are labels for the user: nothing is ever read from or written to them; the
sha256 says whether the store at hand holds the same data.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from explorer.analysis.definitions import Definitions
from explorer.analysis.errors import AnalysisError
from explorer.state import StateError, ViewState, iso, parse_iso
from explorer.timeutil import EARLIEST, LATEST

FORMAT = "bgp-explorer-briefing"
VERSION = 1
MAX_BYTES = 4 << 20            # a briefing is a page of settings and notes, not data
MAX_TEXT = 2_000               # one annotation, or the title
MAX_ANNOTATIONS = 500
MAX_FILES = 200_000            # a store of a few years of one collector's update files
MAX_PATH = 4_096
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEYS = {"format", "version", "title", "created", "view", "annotations", "store"}


class BriefingError(ValueError):
    """A briefing that cannot be opened; the message names the file and the field."""


@dataclass(frozen=True)
class Annotation:
    """A note pinned to an instant (``end`` None) or an interval of the timeline, Unix seconds UTC."""

    text: str
    start: int
    end: int | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "start": iso(self.start), "end": iso(self.end) if self.end is not None else None}


@dataclass(frozen=True)
class StoreFile:
    path: str
    sha256: str


@dataclass
class Briefing:
    view: ViewState
    title: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    files: list[StoreFile] = field(default_factory=list)
    demo: bool = False
    created: str = ""

    def to_dict(self) -> dict:
        return {
            "format": FORMAT, "version": VERSION, "title": self.title,
            "created": self.created or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "view": self.view.to_dict(),
            "annotations": [a.to_dict() for a in self.annotations],
            "store": {"demo": self.demo, "files": [{"path": f.path, "sha256": f.sha256} for f in self.files]},
        }

    def save(self, path: str | Path) -> Path:
        """Write atomically: a crash while saving leaves the previous file as it was."""
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    def missing_from(self, store_sha256s: set[str]) -> list[StoreFile]:
        """The files this briefing was made from that the store at hand does not hold."""
        return [f for f in self.files if f.sha256 not in store_sha256s]


def load(path: str | Path) -> Briefing:
    path = Path(path)
    raw = _read_bounded(path)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BriefingError(f"{path}: not a briefing: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BriefingError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise BriefingError(f"{path}: not a briefing: JSON nested too deeply") from None
    try:
        return from_dict(doc)
    except BriefingError as exc:
        raise BriefingError(f"{path}: {exc}") from None


def _read_bounded(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES. A folder, a device or a pipe is refused
    before a byte is read (opening does not wait for a pipe's writer), and never more than
    MAX_BYTES + 1 bytes are read, whatever the size said."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise BriefingError(f"{path}: a folder, not a briefing file") from None
    except OSError as exc:
        raise BriefingError(f"{path}: cannot open the briefing ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BriefingError(f"{path}: a folder, not a briefing file")
        kind = "a pipe" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
        raise BriefingError(f"{path}: {kind}, not a briefing file (a briefing is a regular file)")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_BYTES:
            raise BriefingError(f"{path}: {info.st_size:,} bytes is not a briefing (at most {MAX_BYTES:,})")
        try:
            raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise BriefingError(f"{path}: cannot read the briefing ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise BriefingError(f"{path}: more than {MAX_BYTES:,} bytes is not a briefing")
    return raw


def from_dict(doc) -> Briefing:
    if not isinstance(doc, dict):
        raise BriefingError(f"not a briefing: the top level is a JSON {_kind(doc)}, not an object")
    if doc.get("format") != FORMAT:
        raise BriefingError(f"not a briefing: \"format\" is {_short(doc.get('format'))}, not \"{FORMAT}\"")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BriefingError(f"\"version\" is {_short(version)}: a positive integer")
    if version > VERSION:
        raise BriefingError(f"made by a newer version of BGP History Explorer (briefing version {version}; "
                            f"this one reads up to {VERSION}): update to open it")
    unknown = set(doc) - _KEYS
    if unknown:
        raise BriefingError(f"unknown field(s) {', '.join(sorted(map(_short, unknown)))}")
    title = _text(doc.get("title", ""), "title")
    created = _text(doc.get("created", ""), "created")
    view_doc = doc.get("view")
    if not isinstance(view_doc, dict):
        raise BriefingError(f"\"view\" is a {_kind(view_doc)}: an object with scope, window, step and cursor")
    try:
        view = ViewState.from_dict(_view_fields(view_doc))
    except (StateError, TypeError) as exc:
        raise BriefingError(f"\"view\": {exc}") from None
    annotations = [_annotation(a, i) for i, a in enumerate(_list(doc.get("annotations", []), "annotations",
                                                                  MAX_ANNOTATIONS))]
    store = doc.get("store", {})
    if not isinstance(store, dict) or set(store) - {"demo", "files"}:
        raise BriefingError("\"store\" must be an object with \"demo\" and \"files\"")
    demo = store.get("demo", False)
    if not isinstance(demo, bool):
        raise BriefingError(f"\"store.demo\" is {_short(demo)}: true or false")
    files = [_store_file(f, i) for i, f in enumerate(_list(store.get("files", []), "store.files", MAX_FILES))]
    return Briefing(view=view, title=title, annotations=annotations, files=files, demo=demo, created=created)


def _view_fields(d: dict) -> dict:
    """Type-check the view's fields before ViewState sees them (it trusts its callers)."""
    checks = {"scope_kind": str, "scope": str, "step": int, "definitions": dict, "timeline_mode": str}
    for key, kind in checks.items():
        if key in d and (not isinstance(d[key], kind) or isinstance(d[key], bool)):
            raise BriefingError(f"\"view.{key}\" is {_short(d[key])}: a {kind.__name__}")
    for key in ("start", "end", "at"):
        if key in d:
            try:
                _in_range(parse_iso(_time_text(d[key], f"view.{key}")), f"view.{key}")
            except StateError as exc:
                raise BriefingError(f"\"view.{key}\": {exc}") from None
    if "selected_asn" in d and d["selected_asn"] is not None and (
            not isinstance(d["selected_asn"], int) or isinstance(d["selected_asn"], bool)
            or not 0 <= d["selected_asn"] < 2**32):
        raise BriefingError(f"\"view.selected_asn\" is {_short(d['selected_asn'])}: an AS number or null")
    for key in ("scope", "scope_kind", "timeline_mode"):
        if key in d:
            _text(d[key], f"view.{key}")
    defs = d.get("definitions", {})
    if len(json.dumps(defs)) > MAX_TEXT or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                   or v is None for v in defs.values()):
        raise BriefingError("\"view.definitions\" must map names to numbers or short texts")
    try:
        Definitions(**defs)             # names it knows, values it accepts: checked now, not when drawn
    except TypeError:
        known = ", ".join(f.name for f in fields(Definitions))
        raise BriefingError(f"\"view.definitions\" names a definition that does not exist (known: {known})") from None
    except (AnalysisError, AttributeError) as exc:
        raise BriefingError(f"\"view.definitions\": {exc}") from None
    return d


def _annotation(a, i: int) -> Annotation:
    where = f"annotations[{i}]"
    if not isinstance(a, dict) or set(a) - {"text", "start", "end"} or "start" not in a:
        raise BriefingError(f"\"{where}\" must be an object with \"text\", \"start\" and optionally \"end\"")
    text = _text(a.get("text", ""), f"{where}.text")
    try:
        start = parse_iso(_time_text(a["start"], where))
        end = parse_iso(_time_text(a["end"], where)) if a.get("end") is not None else None
    except StateError as exc:
        raise BriefingError(f"\"{where}\": {exc}") from None
    _in_range(start, f"{where}.start")
    if end is not None:
        _in_range(end, f"{where}.end")
    if end is not None and end < start:
        raise BriefingError(f"\"{where}\" ends before it starts")
    return Annotation(text, start, end)


def _store_file(f, i: int) -> StoreFile:
    where = f"store.files[{i}]"
    if not isinstance(f, dict) or set(f) != {"path", "sha256"}:
        raise BriefingError(f"\"{where}\" must be an object with \"path\" and \"sha256\"")
    path = _text(f["path"], f"{where}.path", MAX_PATH)
    if "\x00" in path:
        raise BriefingError(f"\"{where}.path\" holds a NUL character")
    sha = f["sha256"]
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise BriefingError(f"\"{where}.sha256\" is {_short(sha)}: 64 lowercase hexadecimal digits")
    return StoreFile(path, sha)


def _in_range(seconds: int, name: str) -> None:
    if not EARLIEST <= seconds < LATEST:
        raise BriefingError(f"\"{name}\" is outside 1970-2100 ({seconds} s)")


def _time_text(value, where: str):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BriefingError(f"\"{where}\": {_short(value)} is not a UTC time")
    return value


def _list(value, name: str, limit: int) -> list:
    if not isinstance(value, list):
        raise BriefingError(f"\"{name}\" is a {_kind(value)}: a list")
    if len(value) > limit:
        raise BriefingError(f"\"{name}\" has {len(value):,} entries (at most {limit:,})")
    return value


def _text(value, name: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise BriefingError(f"\"{name}\" is {_short(value)}: a text")
    if len(value) > limit:
        raise BriefingError(f"\"{name}\" is {len(value):,} characters long (at most {limit:,})")
    return value


def _kind(value) -> str:
    return {dict: "object", list: "list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "number")


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."
