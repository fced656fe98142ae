"""Query speed on a large store: visibility, graph and events at 5 and 50 million elements.

    python bench/query.py [--dir FOLDER] [--sizes 5,50] [--keep]

How the large stores are made (in SQL inside DuckDB, not through the MRT parser, so they build in
minutes): a base store ingests real files of ../shared/data/mrt, each under its own collector name
(one full IPv4 table sent as updates in 2015 with North Korea's four /24s, and RIS update files of
2007, 2016 and 2022). Every session of the base is then copied N times: copy c renames the session
(collector 'bench<c mod 8>', peer IP suffixed '#c') and shifts all its elements and route intervals
so that its file starts at 2014-12-15 00:00 UTC + c x (one week / N). Copying intervals with the
same shift gives what deriving them again would give, since the rules look only at one session's
own history. N is chosen to reach the target number of elements.

Times, in seconds, each beside the floor (warm < 0.5 s at 50 million elements):
  cold: the first call in a fresh process (prefix index, session table sizes and paths not yet read);
  warm: the best of three calls after it in the same process.
Queries: visibility --by total over one week at 5-minute steps for KP (4 prefixes) and for the
country with the most prefixes between 20,000 and 60,000; the graph of each at the week's middle;
events of each over the week.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "mrt"
BASE_FILES = {"base2015": "bgpdump__updates.et-header.2015.gz", "base2007": "bgpdump__updates.20070211.0141.gz",
              "base2016": "bgpdump__updates.20160811.1600.gz", "base2022": "dnas__rrc23.updates.20220421.0200.gz"}
T0 = 1418601600                 # 2014-12-15T00:00:00Z
WEEK = 7 * 86400
FLOOR = 0.5


def build_base(folder: Path) -> Path:
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    path = folder / "base.duckdb"
    if not path.exists():
        with Store(path) as s:
            for collector, name in BASE_FILES.items():
                for o in ingest(s, [DATA / name], collector=collector):
                    if getattr(o, "failed", False):
                        raise SystemExit(f"base ingest failed: {o.path}: {o.reason}")
    return path


def build_large(base: Path, folder: Path, millions: int) -> Path:
    import duckdb

    from explorer.store import Store

    path = folder / f"bench{millions}m.duckdb"
    if path.exists():
        return path
    with Store(path):
        pass                                                       # the current schema, empty
    con = duckdb.connect(str(path))
    con.execute(f"ATTACH '{base}' AS b (READ_ONLY)")
    per_copy = con.execute("SELECT count(*) FROM b.elements").fetchone()[0]
    copies = -(-millions * 1_000_000 // per_copy)
    step_us = WEEK * 1_000_000 // copies
    n_sess, n_files = con.execute("SELECT max(session_id), max(file_id) FROM b.sessions, b.files").fetchone()
    con.execute(f"""
        CREATE TEMP TABLE shift AS                                   -- per base session: its file's start
        SELECT DISTINCT e.session_id, {T0}::BIGINT * 1000000 - epoch_us(f.first_ts) AS us
        FROM b.elements e JOIN b.files f USING (file_id)""")
    con.execute(f"CREATE TEMP TABLE copies AS SELECT range AS c, range * {step_us} AS us FROM range({copies})")
    t = time.perf_counter()
    con.execute("BEGIN")
    for table in ("prefixes", "paths", "communities"):
        con.execute(f"INSERT INTO {table} SELECT * FROM b.{table}")
    con.execute(f"""INSERT INTO sessions SELECT c.c * {n_sess} + s.session_id, 'bench' || (c.c % 8),
                    s.peer_ip || '#' || c.c, s.peer_asn FROM b.sessions s, copies c""")
    con.execute(f"""
        INSERT INTO files SELECT c.c * {n_files} + f.file_id, f.path || '#' || c.c, f.size, f.sha256 || c.c,
            f.order_key, f.kind, 'bench' || (c.c % 8), f.backend, make_timestamp({T0}::BIGINT * 1000000 + c.us),
            make_timestamp(epoch_us(f.last_ts) - epoch_us(f.first_ts) + {T0}::BIGINT * 1000000 + c.us), NULL,
            f.rib_entries, f.announcements, f.withdrawals, f.state_changes, f.records, f.status, f.reason,
            f.filter, f.imported_at, f.elapsed_s
        FROM b.files f, copies c""")
    con.execute(f"""
        INSERT INTO elements SELECT make_timestamp(epoch_us(e.ts) + sh.us + c.us), c.c * {n_sess} + e.session_id,
            e.prefix_id, e.kind, e.path_id, e.community_id, c.c * {n_files} + e.file_id, e.seq
        FROM copies c, b.elements e JOIN shift sh USING (session_id) ORDER BY c.c, e.ts""")
    con.execute(f"""
        INSERT INTO intervals SELECT c.c * {n_sess} + i.session_id, i.prefix_id, i.path_id,
            make_timestamp(epoch_us(i.start_ts) + sh.us + c.us), make_timestamp(epoch_us(i.end_ts) + sh.us + c.us),
            i.start_key + (sh.us + c.us) * 4, i.end_key + (sh.us + c.us) * 4
        FROM copies c, b.intervals i JOIN shift sh USING (session_id) ORDER BY c.c, i.start_ts""")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    n = con.execute("SELECT (SELECT count(*) FROM elements), (SELECT count(*) FROM intervals)").fetchone()
    print(f"built {path.name}: {copies} copies, {n[0]:,} elements, {n[1]:,} intervals in "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    con.close()
    return path


QUERIES = """
import json, sys, time
sys.path.insert(0, {root!r})
from explorer.store import Store
from explorer.analysis import Definitions, Window
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import visibility
from explorer.analysis.events import find_events
from explorer.analysis.graph import graph_json

store = Store({path!r}, read_only=True)
con = store.con
w = Window({t0}, {t0} + {week}, 300)
defs = Definitions()
def vis(cc): return visibility(con, resolve_scope(con, w, country=cc), w, defs)
def graph(cc): return graph_json(con, resolve_scope(con, w, country=cc), {t0} + {week} // 2)
def events(cc): return find_events(con, vis(cc))
out = {{}}
for name, fn in [("visibility", vis), ("graph", graph), ("events", events)]:
    for label, cc in [("small", "KP"), ("large", {large!r})]:
        t = time.perf_counter(); fn(cc); cold = time.perf_counter() - t
        warm = []
        for _ in range(3):
            t = time.perf_counter(); r = fn(cc); warm.append(time.perf_counter() - t)
        out[f"{{name}} {{label}}"] = (cold, min(warm))
v = vis({large!r})
out["large scope prefixes"] = int(len(v.scope.prefix_ids))
out["large scope routes read"] = int(len(v.routes.session))
print(json.dumps(out))
"""


def large_country(path: Path) -> str:
    """The country with the most prefixes between 20,000 and 60,000 in the store (built-in mapping)."""
    from collections import Counter

    from explorer.registry.mapping import mapping_for, prefix_countries
    from explorer.store import Store
    from explorer.store.prefix_index import prefix_index

    with Store(path, read_only=True) as s:
        index = prefix_index(s.con)
        cc = Counter(prefix_countries(s.con, index, mapping_for(s.con, T0)).tolist())
    fits = [(n, c) for c, n in cc.items() if c and 20_000 <= n <= 60_000]
    return max(fits)[1] if fits else cc.most_common(1)[0][0]


def measure(path: Path, large: str) -> dict:
    code = QUERIES.format(root=str(ROOT), path=str(path), t0=T0, week=WEEK, large=large)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="where the stores are built (default: a temporary folder, removed after)")
    ap.add_argument("--sizes", default="5,50", help="millions of elements (default 5,50)")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: the benchmark derives its stores from the real archives there")
        return 0
    tmp = None if args.dir else tempfile.TemporaryDirectory(prefix="bench-query-")
    folder = Path(args.dir or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    base = build_base(folder)
    sizes = [int(s) for s in args.sizes.split(",")]
    large = large_country(base)
    results = {}
    for m in sizes:
        results[m] = measure(build_large(base, folder, m), large)
    print(f"\nlarge scope: country {large}, {results[sizes[-1]]['large scope prefixes']:,} prefixes; "
          f"routes read for its week: " + ", ".join(f"{results[m]['large scope routes read']:,} at {m}M" for m in sizes))
    head = "".join(f"{f'{m}M cold':>10}{f'{m}M warm':>10}" for m in sizes)
    print(f"{'query':24}{head}{'growth (warm)':>15}{'floor':>8}")
    for q in [k for k in results[sizes[0]] if isinstance(results[sizes[0]][k], list)]:
        cells = "".join(f"{results[m][q][0]:10.3f}{results[m][q][1]:10.3f}" for m in sizes)
        growth = results[sizes[-1]][q][1] / max(results[sizes[0]][q][1], 1e-9)
        verdict = "ok" if results[sizes[-1]][q][1] < FLOOR else "OVER"
        print(f"{q:24}{cells}{growth:14.1f}x{FLOOR:>6} s {verdict}")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
