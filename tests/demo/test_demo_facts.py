"""The demo store says what the public record says, checked with plain SQL over route intervals.

Held at t: a route interval with start_ts <= t < end_ts (end NULL: still held). These tests do
not use the analytics commands; they read the intervals the normal ingest derived from the
files our writer wrote.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from explorer.demo.cast import KP_PREFIXES
from tests.demo.conftest import SMALL

KP = "('" + "','".join(KP_PREFIXES) + "')"


def held(con, at: str) -> dict[str, int]:
    """KP prefix -> sessions holding a route to it at ``at`` (UTC)."""
    rows = con.execute(f"""
        SELECT p.prefix, count(DISTINCT i.session_id)
        FROM intervals i JOIN prefixes p USING (prefix_id)
        WHERE p.prefix IN {KP} AND i.start_ts <= ?::TIMESTAMP AND (i.end_ts IS NULL OR i.end_ts > ?::TIMESTAMP)
        GROUP BY 1""", [at, at]).fetchall()
    return {prefix: dict(rows).get(prefix, 0) for prefix in KP_PREFIXES}


def overlapping(con, start: str, end: str) -> int:
    """KP route intervals that overlap [start, end)."""
    return con.execute(f"""
        SELECT count(*) FROM intervals i JOIN prefixes p USING (prefix_id)
        WHERE p.prefix IN {KP} AND i.start_ts < ?::TIMESTAMP AND (i.end_ts IS NULL OR i.end_ts > ?::TIMESTAMP)""",
                       [end, start]).fetchone()[0]


def test_every_session_holds_kp_at_noon_then_none_in_the_evening(demo_con):
    sessions = demo_con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert sessions == SMALL.sessions
    assert held(demo_con, "2014-12-22 12:00:00") == {p: sessions for p in KP_PREFIXES}
    assert held(demo_con, "2014-12-22 16:14:29") == {p: sessions for p in KP_PREFIXES}
    assert held(demo_con, "2014-12-22 20:00:00") == {p: 0 for p in KP_PREFIXES}


def test_outage_from_1615_to_0146(demo_con):
    assert overlapping(demo_con, "2014-12-22 16:15:00", "2014-12-23 01:46:00") == 0
    assert sum(held(demo_con, "2014-12-23 01:46:00").values()) > 0          # the first session is back at once
    sessions = demo_con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert held(demo_con, "2014-12-23 02:00:00") == {p: sessions for p in KP_PREFIXES}


def test_second_outage_0640_to_0712(demo_con):
    sessions = demo_con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert held(demo_con, "2014-12-23 06:39:29") == {p: sessions for p in KP_PREFIXES}
    assert overlapping(demo_con, "2014-12-23 06:40:00", "2014-12-23 07:12:00") == 0
    assert sum(held(demo_con, "2014-12-23 07:12:00").values()) > 0
    assert held(demo_con, "2014-12-23 07:15:00") == {p: sessions for p in KP_PREFIXES}


def test_five_minute_samples_find_both_outages(demo_con):
    """A detector sampling every 5 minutes sees no KP route exactly from 16:15 and from 06:40, and
    routes again at the first sample after 01:46 and after 07:12."""
    rows = demo_con.execute(f"""
        SELECT t, count(i.session_id) AS routes
        FROM generate_series(TIMESTAMP '2014-12-22 12:00:00', TIMESTAMP '2014-12-23 07:25:00',
                             INTERVAL 5 MINUTE) g(t)
        LEFT JOIN (SELECT i.* FROM intervals i JOIN prefixes p USING (prefix_id) WHERE p.prefix IN {KP}) i
          ON i.start_ts <= g.t AND (i.end_ts IS NULL OR i.end_ts > g.t)
        GROUP BY t ORDER BY t""").fetchall()
    runs, start = [], None
    for t, routes in rows:
        if routes == 0 and start is None:
            start = t
        elif routes and start is not None:
            runs.append((start.strftime("%d %H:%M"), t.strftime("%d %H:%M")))
            start = None
    assert runs == [("22 16:15", "23 01:50"), ("23 06:40", "23 07:15")]


def test_paths_at_noon_end_in_an_upstream_of_as131279(demo_con):
    paths = [p for (p,) in demo_con.execute(f"""
        SELECT i.path FROM intervals i JOIN prefixes p USING (prefix_id)
        WHERE p.prefix IN {KP} AND i.start_ts <= TIMESTAMP '2014-12-22 12:00:00'
          AND (i.end_ts IS NULL OR i.end_ts > TIMESTAMP '2014-12-22 12:00:00')""").fetchall()]
    assert paths and all(p.endswith((" 4837 131279", " 22351 131279")) for p in paths)
    via_unicom = sum(p.endswith(" 4837 131279") for p in paths)
    assert via_unicom > len(paths) / 2 > len(paths) - via_unicom > 0     # China Unicom first, Intelsat too
    back = [p for (p,) in demo_con.execute(f"""
        SELECT i.path FROM intervals i JOIN prefixes p USING (prefix_id)
        WHERE p.prefix IN {KP} AND i.start_ts <= TIMESTAMP '2014-12-23 02:00:00'
          AND (i.end_ts IS NULL OR i.end_ts > TIMESTAMP '2014-12-23 02:00:00')""").fetchall()]
    assert back and all(p.endswith(" 4837 131279") for p in back)         # back through China Unicom


def test_background_prefixes_stay_up(demo_con):
    sessions, others = demo_con.execute(f"""
        SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM prefixes WHERE prefix NOT IN {KP})""").fetchone()
    assert others == SMALL.background
    for at in ("2014-12-22 12:00:00", "2014-12-22 20:00:00", "2014-12-23 06:50:00"):
        n = demo_con.execute(f"""
            SELECT count(DISTINCT (i.session_id, i.prefix_id)) FROM intervals i JOIN prefixes p USING (prefix_id)
            WHERE p.prefix NOT IN {KP} AND i.start_ts <= ?::TIMESTAMP
              AND (i.end_ts IS NULL OR i.end_ts > ?::TIMESTAMP)""", [at, at]).fetchone()[0]
        assert n == sessions * others, at


def test_background_prefixes_are_of_the_neighbours():
    iptocc = pytest.importorskip("iptocc", reason="iptocc (offline IP -> country) is not installed")
    from explorer.demo.cast import background

    for b in background(40):
        assert iptocc.country_code(b.prefix.split("/")[0]) == b.block.cc, b.prefix
    assert iptocc.country_code("175.45.176.0") == "KP"


def test_store_is_labelled_as_the_demo(demo_con, demo):
    meta = dict(demo_con.execute("SELECT key, value FROM meta").fetchall())
    assert meta["demo"] == "kp-2014-12" and meta["demo_complete"] == "1"
    assert meta["demo_label"] == "Demo: synthetic reconstruction of public reports, not measured data"
    collectors = {c for (c,) in demo_con.execute("SELECT DISTINCT collector FROM sessions").fetchall()}
    assert collectors == {"demo-route-views2", "demo-rrc00"}
    assert demo_con.execute("SELECT count(*), sum(CASE WHEN status = 'ok' THEN 1 END) FROM files").fetchone() == \
        (demo[1]["files"],) * 2
    first, last = demo_con.execute("SELECT min(first_ts), max(last_ts) FROM files").fetchone()
    assert first == datetime(2014, 12, 22, 11, 45) and last < datetime(2014, 12, 23, 7, 30)


def test_instability_never_reaches_half_the_sessions(demo_con):
    """Before the outage, minute by minute: bursts withdraw or move KP routes at fewer than half
    of the sessions, so only the two outages look like outages."""
    sessions = demo_con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    lowest, moved = demo_con.execute(f"""
        SELECT min(n), count(*) FILTER (WHERE n < {sessions}) FROM (
            SELECT g.t, p.prefix, count(i.session_id) AS n
            FROM generate_series(TIMESTAMP '2014-12-22 11:45:00', TIMESTAMP '2014-12-22 16:14:00',
                                 INTERVAL 1 MINUTE) g(t)
            CROSS JOIN (SELECT * FROM prefixes WHERE prefix IN {KP}) p
            LEFT JOIN intervals i ON i.prefix_id = p.prefix_id AND i.start_ts <= g.t
                                 AND (i.end_ts IS NULL OR i.end_ts > g.t)
            GROUP BY ALL)""").fetchone()
    assert lowest > sessions / 2
    assert moved > 0                                   # but there is instability on Monday
