"""The AS-path graph of a scope at an instant, from the routes held then.

An edge runs from the AS nearer the collector's peer (``source``) to the next AS toward the origin
(``target``), from the AS path as received (prepending removed; a path with an AS_SET gives edges
only up to the set). ``routes`` is the number of (peer session, prefix) routes held at the instant
whose path holds that adjacency; every session counts, full feed or not. Roles, the first that
applies: origin (last AS of a path), upstream (the AS before it), transit, peer (first AS only).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from explorer.analysis.paths import path_hops
from explorer.analysis.routes import US
from explorer.analysis.scope import Scope
from explorer.registry.mapping import as_countries, as_names, mapping_for
from explorer.timeutil import iso

ROLES = ("origin", "upstream", "transit", "peer")


@dataclass
class Graph:
    at: int
    edges: dict[tuple[int, int], int]       # (source, target) -> routes
    roles: dict[int, str]
    routes: int                             # (session, prefix) routes held at the instant


def graph_at(con, scope: Scope, at: int) -> Graph:
    held = """FROM intervals WHERE prefix_id IN (SELECT unnest($ids::INTEGER[]))
              AND start_ts <= make_timestamp($t) AND (end_ts IS NULL OR end_ts > make_timestamp($t))"""
    args = {"ids": scope.prefix_ids.tolist(), "t": at * US}
    r = con.execute(f"""
        SELECT path_id, count(*) AS n {held} GROUP BY path_id""", args).fetchnumpy()
    ids, counts = np.asarray(r["path_id"], np.int64), np.asarray(r["n"], np.int64)
    hops = path_hops(con, ids)
    edges: Counter = Counter()
    pairs = con.execute(f"SELECT count(DISTINCT (session_id, prefix_id)) {held}", args).fetchone()[0] \
        if len(ids) else 0
    if pairs == counts.sum():               # one path per (session, prefix): count by path
        for pid, n in zip(ids.tolist(), counts.tolist()):
            for e in hops[pid].edges():
                edges[e] += n
    else:                                   # ADD-PATH: one (session, prefix) counts once per edge
        seen: dict[tuple[int, int], set] = defaultdict(set)
        for s, p, pid in con.execute(f"SELECT session_id, prefix_id, path_id {held}", args).fetchall():
            for e in hops[pid].edges():
                seen[e].add((s, p))
        edges.update({e: len(v) for e, v in seen.items()})
    rank: dict[int, int] = defaultdict(lambda: 3)
    for pid in ids.tolist():
        h = hops[pid]
        for pos, asn in enumerate(h.asns):
            if h.complete and pos == len(h.asns) - 1:
                role = 0
            elif h.complete and pos == len(h.asns) - 2:
                role = 1
            else:
                role = 2 if pos > 0 else 3
            rank[asn] = min(rank[asn], role)
    return Graph(at, dict(edges), {a: ROLES[x] for a, x in rank.items()}, int(pairs))


def graph_json(con, scope: Scope, at: int, since: int | None = None) -> dict:
    g = graph_at(con, scope, at)
    mapping = mapping_for(con, at)
    before = graph_at(con, scope, since) if since is not None else None
    asns = set(g.roles) | (set(before.roles) if before else set())
    names, countries = as_names(con, asns), as_countries(con, asns, mapping)
    out = {
        "at": iso(at),
        "scope": scope.describe(),
        "definitions": {"edges": "from the AS nearer the collector's peer to the next AS toward the origin; "
                                 "prepending removed; paths cut at an AS_SET",
                        "routes": "(peer session, prefix) routes held at the instant, every session",
                        "country": mapping.source},
        "routes": g.routes,
        "nodes": [{"asn": a, "name": names.get(a), "country": countries.get(a), "role": g.roles[a]}
                  for a in sorted(g.roles)],
        "edges": _edges(g.edges),
    }
    if before is not None:
        out["since"] = iso(since)
        out["lost"] = _edges({e: n for e, n in before.edges.items() if e not in g.edges})
        out["gained"] = _edges({e: n for e, n in g.edges.items() if e not in before.edges})
    return out


def _edges(edges: dict) -> list[dict]:
    return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(edges.items(), key=lambda x: (-x[1], x[0]))]


def graph_dot(doc: dict) -> str:
    lines = [f"// definitions: {json.dumps(doc['definitions'])}",
             f'digraph "{doc["scope"]}" {{', f'  label="{doc["at"]}";', "  rankdir=LR;"]
    for n in doc["nodes"]:
        label = f'AS{n["asn"]}' + (f'\\n{(n["name"] or "")[:30]}' if n["name"] else "")
        lines.append(f'  {n["asn"]} [label="{label}", role="{n["role"]}"];')
    for e in doc["edges"]:
        lines.append(f'  {e["source"]} -> {e["target"]} [label="{e["routes"]}", weight={e["routes"]}];')
    for e in doc.get("lost", []):
        lines.append(f'  {e["source"]} -> {e["target"]} [style=dashed, color=red, label="lost {e["routes"]}"];')
    lines.append("}")
    return "\n".join(lines)
