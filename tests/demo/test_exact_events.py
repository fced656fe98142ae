"""Issue 12: events at the routing changes, to the second, whatever the step.

On the demo the outages must be 2014-12-22 16:15:00 to 2014-12-23 01:46:00 (9 h 31 min) and 06:40 to
07:12 on the 23rd at every step from 1 to 60 minutes (and at 1 s), each prefix with its own
withdrawal and return; the expected instants are read another way, by plain SQL over the store's
route intervals (the last route of a KP prefix to end before the return, the first to start after
it), and they are the scenario's own constants. The whole list of events is the same at any step.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from explorer.analysis import Definitions, Window
from explorer.analysis.events import changes, find_events
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import visibility
from explorer.demo.cast import KP_PREFIXES
from explorer.demo.scenario import OUTAGE, SECOND_OUTAGE
from explorer.store import Store
from explorer.timeutil import iso, parse_time

START, END = parse_time("2014-12-22T12:00:00Z"), parse_time("2014-12-23T07:25:00Z")
KP = "('" + "','".join(KP_PREFIXES) + "')"


def events_at(store, step: int) -> list[dict]:
    with store.reader() as con:
        w = Window(START, END, step)
        v = visibility(con, resolve_scope(con, w, country="KP"), w, Definitions())
        return find_events(con, v, changes(con, v))


def sql_outages(con) -> list[tuple[str, str]]:
    """(last KP route withdrawn, first back) around each outage, straight from the intervals: the
    instant no session holds a KP route any more, and the first instant one does again."""
    out = []
    for lo, mid, hi in (("2014-12-22 16:10:00", "2014-12-23 01:40:00", "2014-12-23 02:00:00"),
                        ("2014-12-23 06:35:00", "2014-12-23 07:05:00", "2014-12-23 07:20:00")):
        gone = con.execute(f"""
            SELECT max(i.end_ts) FROM intervals i JOIN prefixes p USING (prefix_id)
            WHERE p.prefix IN {KP} AND i.end_ts > ?::TIMESTAMP AND i.end_ts < ?::TIMESTAMP""", [lo, mid]).fetchone()[0]
        back = con.execute(f"""
            SELECT min(i.start_ts) FROM intervals i JOIN prefixes p USING (prefix_id)
            WHERE p.prefix IN {KP} AND i.start_ts >= ?::TIMESTAMP AND i.start_ts < ?::TIMESTAMP""",
                           [gone, hi]).fetchone()[0]
        out.append(tuple(t.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (gone, back)))
    return out


@pytest.fixture(scope="module")
def store(demo):
    with Store(demo[0], read_only=True) as s:
        yield s


def test_the_expected_instants_are_the_public_records(store):
    with store.reader() as con:
        assert sql_outages(con) == [(iso(OUTAGE[0]), iso(OUTAGE[1])), (iso(SECOND_OUTAGE[0]), iso(SECOND_OUTAGE[1]))]
    assert iso(OUTAGE[0]) == "2014-12-22T16:15:00Z" and iso(OUTAGE[1]) == "2014-12-23T01:46:00Z"


@pytest.mark.parametrize("step", [1, *range(60, 3601, 60)])
def test_outages_are_exact_at_every_step(store, step):
    with store.reader() as con:
        expected = sql_outages(con)
    outages = [e for e in events_at(store, step) if e["kind"] == "outage"]
    assert [(e["start"], e["end"]) for e in outages] == expected, step
    first, second = outages
    assert first["duration_s"] == 9 * 3600 + 31 * 60 and second["duration_s"] == 32 * 60
    for e, (start, end) in zip(outages, expected):
        assert e["prefixes"] == 4 and e["depth"] == 1.0 and e["restored"] and e["all_withdrawn"]
        assert [(p["prefix"], p["start"], p["end"], p["all_withdrawn"]) for p in e["by_prefix"]] == \
            [(p, start, end, True) for p in KP_PREFIXES]


def test_the_same_events_at_any_step(store):
    """Instability included: its bins are a definition of their own, and its times its first and last update."""
    reference = events_at(store, 300)
    assert {e["kind"] for e in reference} == {"outage", "instability"}
    for step in (1, 60, 7 * 60, 15 * 60, 3600, 5 * 3600 + 7):
        assert events_at(store, step) == reference, step


def test_the_terminal_table_says_it_for_people(store, capsys):
    from explorer.cli import main

    assert main(["events", "--store", str(store.path), "--country", "KP", "--start", iso(START), "--end", iso(END),
                 "--step", "7m", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("North Korea (KP)\n")
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert "outage Mon 22 Dec 16:15 Tue 23 Dec 01:46 9 h 31 min all 4 prefixes withdrawn 4 4" in rows
    assert "outage Tue 23 Dec 06:40 Tue 23 Dec 07:12 32 min all 4 prefixes withdrawn 4 4" in rows
    assert "Mon 22 Dec 16:15 Tue 23 Dec 01:46 9 h 31 min 175.45.178.0/24 withdrawn" in rows
    assert rows[-1].startswith("Definitions: full feed:")


def test_days_are_named_as_people_write_them():
    from explorer.timeutil import span_text

    us = lambda text: parse_time(text) * 1_000_000      # noqa: E731
    assert span_text(us("2014-12-22T16:15:00Z"), us("2014-12-23T01:46:00Z")) == \
        "Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC (9 h 31 min)"
    assert span_text(us("2014-12-23T06:40:00Z"), us("2014-12-23T07:12:00Z")) == "Tue 23 Dec 06:40 - 07:12 UTC (32 min)"
    assert span_text(us("2015-10-23T02:01:51Z") + 10749, us("2015-10-23T02:01:55Z") + 574100) == \
        "Fri 23 Oct 02:01:51 - 02:01:55 UTC (4 s)"
    assert datetime(2014, 12, 22).strftime("%a") == "Mon"
