"""Issue 13: the optimised reads (one read of a scope's routes, per-prefix steps, the graph from the
routes read for the window) give exactly what plain SQL over the store's rows gives, on a store of a
few million elements made through the real ingest from a scale set (real files moved in time: a RIB
dump a collector-day and update files every 30 minutes, the full 2015 table among them).

The plain side counts, at chosen instants, the (session, prefix) routes held (start_key <= 4t+3 <
end_key) straight from ``routes`` and ``routes_open``: peers per prefix, full-feed peers, visible
prefixes under the view's own threshold, and the AS edges of the paths held."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from explorer.analysis import Definitions, Window
from explorer.analysis.graph import graph_json
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import by_prefix, visibility
from explorer.demo.scale import DATA, build_scale_set
from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.store.queries import session_ids

DAY0 = 1717372800           # 2024-06-03 00:00 UTC, the scale set's first day


@pytest.fixture(scope="module")
def scale_store(tmp_path_factory):
    if not DATA.exists():
        pytest.skip(f"{DATA} is absent: the scale set is made of the real archives of ../shared/data")
    folder = tmp_path_factory.mktemp("scale")
    build_scale_set(folder / "files", collectors=2, days=1, slot_minutes=30)
    path = folder / "scale.duckdb"
    with Store(path) as s:
        outcomes = [o for o in ingest(s, [folder / "files"], jobs=2) if hasattr(o, "status")]
        assert outcomes and all(o.status == "ok" for o in outcomes), [(o.path, o.status) for o in outcomes]
        elements = s.con.execute("SELECT sum(rib_entries + announcements + withdrawals) FROM files").fetchone()[0]
    assert elements > 2_000_000
    return path


def held_at(con, prefix_ids: np.ndarray, t: int) -> list[tuple[int, int, str]]:
    """(session_id, prefix_id, path) of every route held at instant t (seconds), by plain SQL."""
    key = 4 * t * 1_000_000 + 3
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT unnest(?::BIGINT[]) AS pid", [prefix_ids.tolist()])
    rows = con.execute("""
        SELECT session_id, prefix_id, path FROM routes WHERE kind <> 2 AND start_key <= $k AND end_key > $k
            AND prefix_id IN (SELECT pid FROM _scope)
        UNION ALL
        SELECT session_id, prefix_id, path FROM routes_open WHERE start_key <= $k AND prefix_id IN (SELECT pid FROM _scope)
    """, {"k": key}).fetchall()
    return rows


def plain_edges(paths: list[str]) -> Counter:
    """Edges per route: consecutive distinct ASes, up to the first token that is not an AS number."""
    out: Counter = Counter()
    for path in paths:
        asns: list[int] = []
        for tok in path.split():
            if not tok.isdigit():
                break
            if not asns or asns[-1] != int(tok):
                asns.append(int(tok))
        out.update(set(zip(asns, asns[1:])))
    return out


@pytest.mark.parametrize("country", ["US", "CN"])
def test_peers_visibility_and_graph_equal_plain_sql(scale_store, country):
    window = Window(DAY0, DAY0 + 86400 - 300, 300)
    instants = [DAY0 + 1800, DAY0 + 2 * 3600 + 600, DAY0 + 11 * 3600 + 300, DAY0 + 86400 - 300]
    with Store(scale_store, read_only=True) as s, s.reader() as con:
        scope = resolve_scope(con, window, country=country)
        v = visibility(con, scope, window, Definitions())
        ids, peers, ffp = by_prefix(v)
        stored = scope.index.ids[ids]                     # the store's prefix ids of the scope's prefixes
        sessions = session_ids(con)
        ff = {af: set(sessions[pos].tolist()) for af, pos in v.full_feed.sessions.items()}
        af = scope.index.af[ids]
        need = v.threshold[ids]
        assert len(ids) > 1000
        for t in instants:
            k = (t - window.start) // window.step
            rows = held_at(con, stored, t)
            row_of = {int(p): r for r, p in enumerate(stored.tolist())}
            plain_peers = np.zeros(len(ids), np.int64)
            plain_ff = np.zeros(len(ids), np.int64)
            for (session, prefix) in {(s_, p) for s_, p, _ in rows}:
                r = row_of[prefix]
                plain_peers[r] += 1
                plain_ff[r] += session in ff.get(int(af[r]), ())
            assert np.array_equal(peers[:, k], plain_peers), (country, t)    # e.g. US at 11:05: 572,251 routes, 168,324 visible
            assert np.array_equal(ffp[:, k], plain_ff), (country, t)
            assert v.visible_prefixes[k] == int(((plain_ff >= need) & (plain_ff > 0)).sum()), (country, t)
            doc = graph_json(con, scope, t)
            assert doc["routes"] == len(rows)
            assert {(e["source"], e["target"]): e["routes"] for e in doc["edges"]} == dict(plain_edges(
                [p for _, _, p in rows])), (country, t)
