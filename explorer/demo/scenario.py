"""The scenario ``kp-2014-12``: North Korea's routes, 19-24 December 2014, as the public record tells it.

Facts (../shared/data/kp/kp_2014_ground_truth.md: Dyn, RIPE Labs/APNIC, ZDNet, ABC News):

* 175.45.176.0/22 as four /24s, origin AS131279, reached through AS4837 China Unicom; a few
  sessions prefer the less used path through AS22351 Intelsat (Dyn).
* Stable until Friday 19 December; from Friday evening bursts of instability (withdrawals and
  re-announcements, path changes between the two upstreams), more on the weekend, most on Monday.
  A burst touches fewer than half of the sessions, and none comes near 12:00 on Monday 22.
* Outage: every session withdraws the four /24s in the half minute up to 2014-12-22 16:15:00
  UTC, the last one at 16:15:00 sharp, so that from 16:15:00 no session holds a route (a
  detector sampling every 5 minutes from a round hour finds the outage at 16:15 exactly).
* Back through China Unicom (every session, Intelsat no longer used) from 2014-12-23 01:46:00
  UTC, the first session at 01:46:00 sharp, the rest within 40 seconds (9 h 31 min).
* A second outage the same way from 06:40:00 to 07:12:00 UTC on 23 December; stable after.
* Around them, background prefixes of CN, KR, JP and RU that stay up (their paths change now and
  then), and one session at the second collector that resets on Saturday morning.

Everything is drawn from one seeded random generator in a fixed order, so the same ``Params``
give the same events, the same files and the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

from explorer.demo.cast import INTELSAT, CHINA_UNICOM, KP_PREFIXES, Background, Session, background, sessions
from explorer.demo.mrt_writer import Route

NAME = "kp-2014-12"
VERSION = 2     # raise when the scenario's output changes: demo stores of an older version are rebuilt


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


STORY_START = utc("2014-12-19T00:00:00")
OUTAGE = (utc("2014-12-22T16:15:00"), utc("2014-12-23T01:46:00"))
SECOND_OUTAGE = (utc("2014-12-23T06:40:00"), utc("2014-12-23T07:12:00"))
QUIET = (utc("2014-12-22T11:30:00"), utc("2014-12-22T12:30:00"))    # no burst near the noon check
SESSION_RESET = (utc("2014-12-20T03:12:07"), utc("2014-12-20T03:19:41"))
# Bursts of instability per window: Friday evening, the weekend, Monday until the outage.
BURSTS = ((utc("2014-12-19T17:00:00"), utc("2014-12-20T00:00:00"), 2),
          (utc("2014-12-20T00:00:00"), utc("2014-12-21T00:00:00"), 6),
          (utc("2014-12-21T00:00:00"), utc("2014-12-22T00:00:00"), 9),
          (utc("2014-12-22T00:00:00"), utc("2014-12-22T15:45:00"), 14))


@dataclass(frozen=True)
class Params:
    """What a benchmark may scale. ``start`` and ``days`` choose the window written as files; the
    story always runs from 19 December, so a later start begins with the state of that instant."""

    sessions: int = 10
    background: int = 40
    collectors: int = 2
    start: int = STORY_START
    days: float = 5.0
    seed: int = 20141222

    @property
    def end(self) -> int:
        return self.start + int(self.days * 86400)


@dataclass(order=True)
class Event:
    """What one session sends at ``ts``: ``route`` for ``prefixes`` (an announcement), ``None``
    (a withdrawal), or ``state`` ('down' / 'up') for the session itself."""

    ts: int
    order: int
    session: int = field(compare=False)
    prefixes: tuple[str, ...] = field(compare=False, default=())
    route: Route | None = field(compare=False, default=None)
    state: str | None = field(compare=False, default=None)


@dataclass
class Story:
    params: Params
    sessions: list[Session]
    background: list[Background]
    events: list[Event]
    initial: dict[tuple[int, str], Route]     # (session, prefix) -> route held at STORY_START


def build_story(params: Params) -> Story:
    if not 1 <= params.collectors <= 3:
        raise ValueError("the demo has 1 to 3 collectors")
    rng = random.Random(params.seed)
    peers = sessions(params.sessions, params.collectors)
    bg = background(params.background)
    events: list[Event] = []
    add = lambda ts, s, prefixes=(), route=None, state=None: events.append(  # noqa: E731
        Event(ts, len(events), s, tuple(prefixes), route, state))

    def kp(s: Session, via: int) -> dict[str, Route]:
        return {p: s.kp_route(via, i) for i, p in enumerate(KP_PREFIXES)}

    usual = {s.index: (INTELSAT if s.prefers_intelsat else CHINA_UNICOM) for s in peers}
    initial = {(s.index, p): r for s in peers for p, r in kp(s, usual[s.index]).items()}
    initial.update({(s.index, b.prefix): b.route(s, 0) for s in peers for b in bg})

    for start, end, count in BURSTS:
        for at in _burst_times(rng, start, end, count):
            _burst(rng, peers, usual, at, add)
    for down, up in (OUTAGE, SECOND_OUTAGE):
        _wave(rng, peers, down, add, lambda s: None, spread=-30)
        _wave(rng, peers, up, add, lambda s: kp(s, CHINA_UNICOM), spread=40)
    if len(peers) > 1:
        down, up = SESSION_RESET
        add(down, 1, state="down")
        add(up, 1, state="up")
    _background_churn(rng, params, peers, bg, add)
    events.sort()
    return Story(params, peers, bg, events, initial)


def _burst_times(rng: random.Random, start: int, end: int, count: int) -> list[int]:
    """``count`` burst starts in [start, end), 20 minutes apart at least, none in QUIET."""
    times: list[int] = []
    while len(times) < count:
        t = rng.randrange(start, end - 900)
        if QUIET[0] - 900 <= t < QUIET[1] or any(abs(t - o) < 1200 for o in times):
            continue
        times.append(t)
    return sorted(times)


def _burst(rng, peers: list[Session], usual: dict[int, int], at: int, add) -> None:
    """Some sessions lose some KP prefixes for 1-8 minutes, or move to the other upstream and back."""
    hit = rng.sample(KP_PREFIXES, rng.randint(1, 4))
    n = len(peers)
    # fewer than half the sessions: a burst dents visibility, it never looks like an outage
    chosen = rng.sample(peers, max(1, min(n - 1, int(n * rng.uniform(0.25, 0.5))))) if n > 1 else peers
    duration = rng.randint(60, 480)
    for s in chosen:
        delay = rng.randint(0, 40)
        back = {p: s.kp_route(usual[s.index], KP_PREFIXES.index(p)) for p in hit}
        if rng.random() < 0.6 and n > 1:
            add(at + delay, s.index, hit)                       # withdrawn ...
        else:
            other = CHINA_UNICOM if usual[s.index] == INTELSAT else INTELSAT
            for p in hit:                                       # ... or through the other upstream
                add(at + delay, s.index, [p], s.kp_route(other, KP_PREFIXES.index(p)))
        for p in hit:
            add(at + duration + delay + rng.randint(0, 20), s.index, [p], back[p])


def _wave(rng, peers: list[Session], at: int, add, routes, spread: int) -> None:
    """Every session acts within ``spread`` seconds of ``at`` (before it when negative); the last
    (spread < 0) or the first (spread > 0) exactly at ``at``."""
    offsets = [rng.randint(1, abs(spread)) for _ in peers]
    offsets[rng.randrange(len(peers))] = 0
    for s, off in zip(peers, offsets):
        ts = at - off if spread < 0 else at + off
        table = routes(s)
        if table is None:
            add(ts, s.index, KP_PREFIXES)
        else:
            for p, r in table.items():
                add(ts, s.index, [p], r)


def _background_churn(rng, params: Params, peers: list[Session], bg: list[Background], add) -> None:
    """A few path changes of background prefixes in every 15 minutes at every collector."""
    if not bg:
        return
    by_collector: dict[str, list[Session]] = {}
    for s in peers:
        by_collector.setdefault(s.collector.name, []).append(s)
    for window in range(STORY_START, params.end, 900):
        for group in by_collector.values():
            for _ in range(rng.randint(1, 3)):
                s, b = rng.choice(group), rng.choice(bg)
                add(window + rng.randrange(900), s.index, [b.prefix], b.route(s, rng.randrange(4)))
