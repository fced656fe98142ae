"""libbgpstream's broker data interface against a broker on 127.0.0.1 (tests/broker.py), without the Internet.

What pybgpstream and bgpreader stream through the broker must be element for element what they read from
the same files on disk (the ``singlefile`` interface), and nothing may try to leave loopback: the fixture
sends every other connection to a guard that records it.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.broker import CATALOGUE, real_path
from tests.conftest import bgpreader_or_skip, data_file, pybgpstream_or_skip

DUMPS = {d.path.split("__", 1)[1]: d for d in CATALOGUE}
RRC06 = DUMPS["ris.rrc06.updates.1427846400.gz"]
JINX = DUMPS["routeviews.route-views.jinx.updates.1427846400.bz2"]
RRC23 = [DUMPS["rrc23.updates.20220421.0200.gz"], DUMPS["rrc23.updates.20220501.2305.gz"]]
RRC05_UPDATES, RRC05_RIB = DUMPS["updates.20020722.2238.gz"], DUMPS["bview.20020722.2337.gz"]


def element(elem) -> tuple:
    f = elem.fields
    return (elem.type, elem.time, elem.peer_address, elem.peer_asn, f.get("prefix"), f.get("as-path"),
            tuple(sorted(f.get("communities", ()))), f.get("next-hop"), f.get("old-state"), f.get("new-state"))


def broker_stream(pybgpstream, broker, **options):
    stream = pybgpstream.BGPStream(data_interface="broker", **options)
    stream.set_data_interface_option("broker", "url", broker.url)     # before the stream starts
    return stream


def local_elements(pybgpstream, dump, start: int, end: int) -> list[tuple]:
    stream = pybgpstream.BGPStream(data_interface="singlefile", from_time=start, until_time=end)
    option = "rib-file" if dump.type == "ribs" else "upd-file"
    stream.set_data_interface_option("singlefile", option, str(data_file(dump.path)))
    return [element(e) for e in stream]


def read(stream) -> tuple[list[tuple], list[tuple]]:
    """(elements, records' metadata) of a whole stream."""
    elements, records = [], []
    for rec in stream.records():
        records.append((rec.project, rec.collector, rec.type, rec.dump_time, rec.status, rec.time))
        elements += [element(e) + (rec.collector,) for e in rec]
    return elements, records


def test_two_projects_in_one_window_give_the_local_files_elements(loopback_broker):
    pybgpstream = pybgpstream_or_skip()
    start, end = 1427846500, 1427847000         # cuts into both files
    stream = broker_stream(pybgpstream, loopback_broker, from_time=start, until_time=end,
                           collectors=["rrc06", "route-views.jinx"], record_type="updates")
    elements, records = read(stream)

    by_collector = {c: [e[:-1] for e in elements if e[-1] == c] for c in ("rrc06", "route-views.jinx")}
    assert by_collector["rrc06"] == local_elements(pybgpstream, RRC06, start, end)
    assert by_collector["route-views.jinx"] == local_elements(pybgpstream, JINX, start, end)
    assert len(by_collector["rrc06"]) > 1000 and len(by_collector["route-views.jinx"]) > 2000
    # one stream: the two files' records merged in time order, each with the broker's metadata
    times = [r[-1] for r in records]
    assert times == sorted(times)
    assert {r[:4] for r in records} == {("ris", "rrc06", "update", 1427846400),
                                        ("routeviews", "route-views.jinx", "update", 1427846400)}
    # the record past the window's end comes with libbgpstream's OUTSIDE_TIME_INTERVAL status, which
    # pybgpstream 2.0.2 does not name: "unknown", and no elements
    assert {r[4] for r in records} <= {"valid", "unknown"}

    queries = loopback_broker.queries()
    assert queries[0]["query"] == {"collectors[]": ["rrc06", "route-views.jinx"], "types[]": ["updates"],
                                   "intervals[]": [f"{start},{end}"]}
    assert queries[-1]["resources"] == []       # an empty answer ends a historical stream
    assert {q["host"].split(":")[0] for q in queries} == {"127.0.0.1"}
    assert loopback_broker.leaks() == []


def test_the_broker_pages_across_days_until_an_empty_answer(loopback_broker):
    pybgpstream = pybgpstream_or_skip()
    start, end = 1650506400, 1651446600         # rrc23: two update files ten days apart
    elements, records = read(broker_stream(pybgpstream, loopback_broker, from_time=start, until_time=end,
                                           collectors=["rrc23"]))

    local = local_elements(pybgpstream, RRC23[0], start, end) + local_elements(pybgpstream, RRC23[1], start, end)
    assert [e[:-1] for e in elements] == local
    assert len(local) == 56059 + 65236
    assert {r[:4] for r in records} == {("ris", "rrc23", "update", d.initial_time) for d in RRC23}

    # one file per answer, then minInitialTime = the end of what it was given, and the last answer empty
    queries = loopback_broker.queries()
    assert [q["query"].get("minInitialTime") for q in queries] == [None, ["1650506700"], ["1651446600"]]
    assert [len(q["resources"]) for q in queries] == [1, 1, 0]
    assert all("dataAddedSince" in q["query"] for q in queries[1:])
    assert set(loopback_broker.downloads()) == {str(real_path(d)) for d in RRC23}
    assert loopback_broker.leaks() == []


def test_a_rib_and_its_updates_through_the_broker(loopback_broker):
    pybgpstream = pybgpstream_or_skip()
    start, end = 1027377480, 1027381200
    elements, records = read(broker_stream(pybgpstream, loopback_broker, from_time=start, until_time=end,
                                           collectors=["rrc05"]))

    local = local_elements(pybgpstream, RRC05_UPDATES, start, end) + local_elements(pybgpstream, RRC05_RIB, start, end)
    assert [e[:-1] for e in elements] == local
    assert sum(e[0] == "R" for e in local) == 115521
    # dump_time is the broker's initialTime; a RIB's records are type "rib"
    assert {r[2:4] for r in records} == {("update", 1027377480), ("rib", 1027381020)}


def bgpreader_lines(bgpreader: str, *args: str) -> list[str]:
    out = subprocess.run([bgpreader, *args], capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.splitlines()


def test_bgpreader_through_the_broker_prints_the_local_files_lines(loopback_broker):
    bgpreader = bgpreader_or_skip()
    window = "1427846400,1427847300"
    through_broker = bgpreader_lines(bgpreader, "-d", "broker", "-o", f"url={loopback_broker.url}", "-w", window,
                                     "-c", "rrc06", "-c", "route-views.jinx", "-t", "updates")
    local = []
    for dump in (RRC06, JINX):
        for line in bgpreader_lines(bgpreader, "-d", "singlefile", "-o", f"upd-file={data_file(dump.path)}",
                                    "-w", window):
            fields = line.split("|")
            assert fields[3:5] == ["singlefile", "singlefile"]
            fields[3:5] = [dump.project, dump.collector]
            local.append("|".join(fields))
    assert sorted(through_broker) == sorted(local)
    assert len(local) == 1561 + 8611
    assert loopback_broker.leaks() == []


def test_the_guard_catches_a_broker_stream_without_the_url_option(loopback_broker):
    """The control for every test above: without ``url`` libbgpstream goes to CAIDA's broker, and the
    guard sees it (and refuses it), so a leak could not pass unnoticed."""
    bgpreader = bgpreader_or_skip()
    proc = subprocess.Popen([bgpreader, "-d", "broker", "-w", "1427846400,1427847300", "-c", "rrc06"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not loopback_broker.leaks() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    assert loopback_broker.leaks()[:1] == ["CONNECT broker.bgpstream.caida.org:443 HTTP/1.1"]
    assert loopback_broker.queries() == []


@pytest.mark.parametrize("query, expected", [
    ({"collectors[]": ["rrc23"], "intervals[]": ["1650506400,1651446600"]}, ["rrc23.updates.20220421.0200.gz"]),
    ({"projects[]": ["routeviews"], "intervals[]": ["1427846400,1427847300"]},
     ["routeviews.route-views.jinx.updates.1427846400.bz2"]),
    ({"types[]": ["ribs"], "intervals[]": ["1027377480,1027381200"]}, ["bview.20020722.2337.gz"]),
    # a window starting inside a file gets it, not a file that ended before (+ FILE_TIME_OFFSET)
    ({"intervals[]": ["1427847000,1427847100"]}, ["routeviews.route-views.jinx.updates.1427846400.bz2"]),
    ({"collectors[]": ["rrc23"], "intervals[]": ["1650506400,1651446600"], "minInitialTime": ["1651446600"]}, []),
])
def test_which_files_an_answer_holds(query, expected):
    from tests.broker import select

    now = int(time.time())
    assert [d.path.split("__", 1)[1] for d in select(CATALOGUE, query, now, now - 60)] == expected
