"""The bgpstream filter gives the same elements whichever backend reads the file (issue 10).

libbgpstream parses the filter text itself; pybgpkit-parser takes the clauses it knows as its own
filters and Python tests the rest; bgpdump and mrtparse are filtered in Python. Each stored set is
compared with the others and with a count made from bgpdump's lines by hand.
"""

from __future__ import annotations

import pytest

from explorer.ingest.libbgpstream import find_bgpreader
from explorer.ingest.pipeline import ingest
from explorer.store import Store
from tests.conftest import data_file
from tests.reference import bgpdump_lines

RRC23 = "mrt/dnas__rrc23.updates.20220421.0200.gz"

# filter -> a test of one bgpdump -m line (fields: type, time, A/W, peer ip, peer asn, prefix, path, ...,
# communities at 11), the same selection made by hand
FILTERS = {
    "prefix more 175.45.176.0/22": lambda f: f[5].startswith("175.45.17") and f[5].endswith("/24"),
    "peer 14061": lambda f: f[4] == "14061",
    "peer 14061 37989": lambda f: f[4] in ("14061", "37989"),
    "path _4837_": lambda f: f[2] == "A" and " 4837 " in f" {f[6]} ",
    "elemtype withdrawals": lambda f: f[2] == "W",
    "ipversion 6 and elemtype announcements": lambda f: f[2] == "A" and ":" in f[5],
    "comm 2914:420": lambda f: f[2] == "A" and "2914:420" in f[11].split(),
    "prefix less 175.45.177.0/24 and peer 14061": lambda f: f[4] == "14061" and f[5] in (
        "175.45.177.0/24", "175.45.176.0/23", "175.45.176.0/22", "175.45.176.0/21", "175.45.160.0/19"),
}


def stored(path, filter_text, backend, tmp_path) -> set:
    with Store(tmp_path / f"{backend}.duckdb") as store:
        [o] = [e for e in ingest(store, [path], filter_text=filter_text, backend=backend) if hasattr(e, "status")]
        assert o.status == "ok" and o.record.backend == backend, o.reason
        return set(store.con.execute("""
            SELECT s.peer_ip, p.prefix, e.kind, e.path, e.ts, e.seq FROM elements e
            JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)""").fetchall())


@pytest.mark.parametrize("filter_text", list(FILTERS))
def test_every_backend_keeps_the_same_elements(tmp_path, filter_text):
    path = data_file(RRC23)
    expected = sum(FILTERS[filter_text](f) for f in bgpdump_lines(path) if f[2] in ("A", "W"))
    assert expected > 0
    backends = ["bgpkit", "bgpdump", "mrtparse"] + (["bgpstream"] if find_bgpreader() else [])
    results = {b: stored(path, filter_text, b, tmp_path / b) for b in backends}
    for backend, rows in results.items():
        assert len(rows) == expected, backend
        assert {r[:5] for r in rows} == {r[:5] for r in results["bgpkit"]}, backend
