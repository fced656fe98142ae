"""The story played through each collector and written as the archives write it.

Each collector gets an update file every 15 minutes and a RIB dump every 8 hours (00:00, 08:00,
16:00 UTC, and one at the window's start), under the folder layout of its archive (RouteViews:
``<name>/bgpdata/2014.12/UPDATES/updates.20141222.1615.bz2``; RIS:
``<name>/2014.12/updates.20141222.1615.gz``). A RIB dump holds what each established session holds
just before its instant; a session that is down is in its peer index table but has no entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from explorer.demo.mrt_writer import ACTIVE, CONNECT, ESTABLISHED, IDLE, OPENCONFIRM, OPENSENT, MrtWriter, Route
from explorer.demo.scenario import STORY_START, Event, Story

UPDATE_EVERY, RIB_EVERY = 900, 8 * 3600


@dataclass
class Written:
    """What was written: files per collector (relative paths) and element counts for checking."""

    root: Path
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    announcements: int = 0
    withdrawals: int = 0
    rib_entries: int = 0
    state_changes: int = 0
    log: dict[str, list[tuple]] | None = None   # when asked for: file -> its elements, as bgpdump -m lists them
    current: str | None = None                  # the file being written

    def add(self, kind: str, ts: int, session, prefixes=(), route: Route | None = None, states=()) -> None:
        """Count elements; log them (kind A, W, B or STATE) for the file being written."""
        n = len(prefixes) or 1
        if kind == "A":
            self.announcements += n
        elif kind == "W":
            self.withdrawals += n
        elif kind == "B":
            self.rib_entries += n
        else:
            self.state_changes += n
        if self.log is None or self.current is None:
            return
        peer = (session.peer.ip, session.peer.asn)
        if kind == "STATE":
            self.log[self.current].append(("STATE", ts, *peer, *states))
            return
        path = " ".join(map(str, route.as_path)) if route else ""
        comms = " ".join(f"{a}:{v}" for a, v in route.communities) if route else ""
        self.log[self.current].extend((kind, ts, *peer, p, path, comms) for p in prefixes)

    @property
    def file_count(self) -> int:
        return sum(len(v) for v in self.files.values())


class _Play:
    """Routes held per session, as the collector sees them."""

    def __init__(self, story: Story):
        self.story = story
        self.sessions = story.sessions
        self.wanted: dict[int, dict[str, tuple[Route, int]]] = defaultdict(dict)  # what the peer would send
        for (s, prefix), route in story.initial.items():
            self.wanted[s][prefix] = (route, STORY_START - 86400)
        self.up = {s.index: True for s in self.sessions}

    def apply(self, ev: Event, out: MrtWriter | None, written: Written) -> None:
        """Change the state; write the record when ``out`` is given and the session is up."""
        if out is None:
            written = Written(written.root)                  # before the window: nothing is counted
        s = self.sessions[ev.session]
        wanted = self.wanted[ev.session]
        if ev.state == "down":
            self.up[ev.session] = False
            self._state(out, written, ev.ts, s, [(ESTABLISHED, IDLE)])
            return
        if ev.state == "up":
            steps = [(IDLE, CONNECT), (CONNECT, ACTIVE), (ACTIVE, OPENSENT), (OPENSENT, OPENCONFIRM),
                     (OPENCONFIRM, ESTABLISHED)]
            self._state(out, written, ev.ts, s, steps)   # the session opens within the second, then sends
            self.up[ev.session] = True
            groups: dict[tuple[Route, int], list[str]] = defaultdict(list)
            for prefix, (route, _) in wanted.items():
                groups[(route, ":" in prefix)].append(prefix)
            for (route, _), prefixes in groups.items():      # the whole table again, as a new session sends it
                for i in range(0, len(prefixes), 400):        # 400 prefixes keep an UPDATE under 4096 bytes
                    chunk = prefixes[i:i + 400]
                    for prefix in chunk:
                        wanted[prefix] = (route, ev.ts + 1)
                    if out:
                        out.update(ev.ts + 1, s.peer, announce=chunk, route=route)
                    written.add("A", ev.ts + 1, s, chunk, route)
            return
        if ev.route is None:
            held = [p for p in ev.prefixes if p in wanted]
            for p in held:
                del wanted[p]
            if held and self.up[ev.session]:
                if out:
                    out.update(ev.ts, s.peer, withdraw=held)
                written.add("W", ev.ts, s, held)
            return
        for p in ev.prefixes:
            wanted[p] = (ev.route, ev.ts)
        if self.up[ev.session]:
            if out:
                out.update(ev.ts, s.peer, announce=list(ev.prefixes), route=ev.route)
            written.add("A", ev.ts, s, ev.prefixes, ev.route)

    def _state(self, out, written: Written, ts: int, s, steps) -> None:
        for old, new in steps:
            if out:
                out.state_change(ts, s.peer, old, new)
            written.add("STATE", ts, s, states=(old, new))

    def rib(self, out: MrtWriter, ts: int, collector: str, written: Written) -> None:
        peers = [s for s in self.sessions if s.collector.name == collector]
        out.peer_index_table(ts, peers[0].collector.local_ip, [s.peer for s in peers])
        by_prefix: dict[str, list] = defaultdict(list)
        for s in peers:
            if self.up[s.index]:
                for prefix, (route, originated) in self.wanted[s.index].items():
                    by_prefix[prefix].append((s, originated, route))
        for prefix in sorted(by_prefix, key=_prefix_key):
            out.rib(ts, prefix, [(s.peer, originated, route) for s, originated, route in by_prefix[prefix]])
            for s, _, route in by_prefix[prefix]:
                written.add("B", ts, s, [prefix], route)


def _prefix_key(prefix: str) -> tuple:
    import ipaddress

    net = ipaddress.ip_network(prefix)
    return (net.version, net.network_address, net.prefixlen)


def _stamp(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%d.%H%M")


def write_archive(story: Story, root: str | Path, progress: Callable[[int, int], None] | None = None,
                  *, log: bool = False) -> Written:
    """Write every collector's files for the window ``story.params.start .. end`` under ``root``;
    with ``log``, keep each file's elements (``Written.log``) to check what parsers read back."""
    params, root = story.params, Path(root)
    written = Written(root, log=defaultdict(list) if log else None)
    play = _Play(story)
    collectors = sorted({s.collector.name: s.collector for s in story.sessions}.values(), key=lambda c: c.name)
    events = iter(story.events)
    ev = next(events, None)
    while ev is not None and ev.ts < params.start:           # the story before the window: state only
        play.apply(ev, None, written)
        ev = next(events, None)
    windows = range(params.start - params.start % UPDATE_EVERY, params.end, UPDATE_EVERY)
    for n, window in enumerate(windows):
        if window % RIB_EVERY == 0 or n == 0:
            for c in collectors:
                rel = written.current = c.rib_file(_stamp(window))
                with MrtWriter(root / rel) as out:
                    play.rib(out, window, c.name, written)
                written.files[c.name].append(rel)
        outs = {c.name: MrtWriter(root / c.update_file(_stamp(window))) for c in collectors}
        try:
            while ev is not None and ev.ts < window + UPDATE_EVERY:
                collector = story.sessions[ev.session].collector
                written.current = collector.update_file(_stamp(window))
                play.apply(ev, outs[collector.name], written)
                ev = next(events, None)
        finally:
            for c in collectors:
                outs[c.name].close()
                written.files[c.name].append(c.update_file(_stamp(window)))
        if empty := [c.name for c in collectors if outs[c.name].records == 0]:
            raise RuntimeError(f"no update at {', '.join(empty)} in the 15 minutes from {_stamp(window)}: "
                               "the scenario needs background prefixes to keep every update file non-empty")
        if progress:
            progress(n + 1, len(windows))
    return written
