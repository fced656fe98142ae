"""Route intervals against a plain replay of the raw elements read by an independent parser."""

from __future__ import annotations

from datetime import datetime, timezone


from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.store.intervals import rebuild_all
from tests.conftest import data_file
from tests.reference import bgpdump_lines

RRC23 = "mrt/dnas__rrc23.updates.20220421.0200.gz"
KP = "175.45.177.0/24"


def replay(lines, prefix: str, at: int) -> set[tuple[str, int, str]]:
    """(peer IP, peer AS, path) held for ``prefix`` after every element with timestamp <= ``at``.

    bgpdump's order is the file's order: an announcement replaces, a withdrawal removes, a session
    leaving Established (6) drops everything it held.
    """
    held: dict[tuple[str, int], str] = {}
    for f in lines:
        ts = int(f[1])
        if ts > at:
            break
        peer = (f[3], int(f[4]))
        if f[2] == "STATE":
            if int(f[5]) == 6 and int(f[6]) != 6:
                held.pop(peer, None)
        elif f[5] == prefix:
            if f[2] == "A":
                held[peer] = f[6]
            else:
                held.pop(peer, None)
    return {(ip, asn, p) for (ip, asn), p in held.items()}


def held_at(store, prefix: str, at: int) -> set[tuple[str, int, str]]:
    rows = store.con.execute("""
        SELECT s.peer_ip, s.peer_asn, i.path
        FROM intervals i
        JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)
        WHERE p.prefix = ? AND i.start_ts <= make_timestamp(?::BIGINT * 1000000)
          AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?::BIGINT * 1000000))""", [prefix, at, at]).fetchall()
    return {(ip, int(asn), path) for ip, asn, path in rows}


def test_kp_prefix_sessions_and_paths_match_replay(store):
    path = data_file(RRC23)
    lines = bgpdump_lines(path)
    list(ingest(store, [path]))
    times = sorted({int(f[1]) for f in lines if f[2] != "STATE" and f[5] == KP})
    assert len(times) >= 5, "the file holds KP churn (18 announcements, 1 withdrawal)"
    instants = [times[0] - 1, *times, times[-1] + 60, int(lines[-1][1])]
    seen_nonempty = 0
    for at in instants:
        expected = replay(lines, KP, at)
        assert held_at(store, KP, at) == expected, datetime.fromtimestamp(at, timezone.utc)
        seen_nonempty += bool(expected)
    assert seen_nonempty >= 3
    # the path documented for this churn
    assert any("4837 134544 131279" in p for _, _, p in held_at(store, KP, times[-1]))


def test_whole_file_replay_at_several_instants(store):
    """Every prefix, every session: peers per prefix from the intervals equal the replay's."""
    path = data_file("mrt/bgpdump__updates.20020722.2238.gz")     # 93 state changes: sessions going down
    lines = bgpdump_lines(path)
    list(ingest(store, [path]))
    first, last = int(lines[0][1]), int(lines[-1][1])
    for at in (first, first + (last - first) // 3, first + 2 * (last - first) // 3, last):
        expected: dict[tuple[str, int], dict[str, str]] = {}
        for f in lines:
            if int(f[1]) > at:
                break
            peer = (f[3], int(f[4]))
            if f[2] == "STATE":
                if int(f[5]) == 6 and int(f[6]) != 6:
                    expected.pop(peer, None)
            elif f[2] == "A":
                expected.setdefault(peer, {})[f[5]] = f[6]
            else:
                expected.get(peer, {}).pop(f[5], None)
        want = {(ip, asn, pfx, p) for (ip, asn), routes in expected.items() for pfx, p in routes.items()}
        got = {(ip, int(asn), pfx, p) for ip, asn, pfx, p in store.con.execute("""
            SELECT s.peer_ip, s.peer_asn, x.prefix, i.path FROM intervals i
            JOIN sessions s USING (session_id) JOIN prefixes x USING (prefix_id)
            WHERE i.start_ts <= make_timestamp(?::BIGINT * 1000000)
              AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?::BIGINT * 1000000))""", [at, at]).fetchall()}
        assert got == want, at


def _intervals(store) -> set:
    return set(store.con.execute("""
        SELECT s.collector, s.peer_ip, s.peer_asn, p.prefix, i.path, i.start_ts, i.end_ts
        FROM intervals i JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)
       """).fetchall())


def test_import_order_does_not_matter(tmp_path):
    a = data_file("mrt/bgpkit-rrc15__updates.20100227.1600.gz")
    b = data_file("mrt/bgpkit-rrc15__updates.20100227.1610.gz")
    results = []
    for order in ((a, b), (b, a)):
        with Store(tmp_path / f"{order[0].name}.duckdb") as store:
            for p in order:
                list(ingest(store, [p]))
            got = _intervals(store)
            with store.transaction():
                rebuild_all(store.con)    # from scratch, not incrementally
            assert _intervals(store) == got
            results.append(got)
    assert results[0] == results[1]
    assert len(results[0]) > 50_000


def test_add_path_rib_is_one_peer_with_several_paths(store):
    path = data_file("mrt/bgpdump__bview.ipv4_unicast_add_path.gz")
    lines = bgpdump_lines(path)
    list(ingest(store, [path]))
    by_prefix: dict[str, set] = {}
    for f in lines:
        by_prefix.setdefault(f[5], set()).add((f[3], f[4]))
    multi = store.con.execute("""
        SELECT p.prefix, count(*) AS routes, count(DISTINCT i.session_id) AS peers
        FROM intervals i JOIN prefixes p USING (prefix_id) GROUP BY 1""").fetchall()
    assert any(routes > peers for _, routes, peers in multi), "ADD-PATH: several paths per session"
    for prefix, routes, peers in multi:
        assert peers == len(by_prefix[prefix])
