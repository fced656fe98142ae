"""The scale set: real files moved in time, laid out as RIS and RouteViews archives.

Element counts of the sources are counted once per test session (about 20 s: pybgpkit-parser over
the sources), then shared by the tests here.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest

from explorer.demo.scale import DATA, FULL_TABLE, RIBS, build_scale_set, plan_scale_set
from explorer.demo.shift import first_timestamp
from explorer.ingest.collectors import collector_from_path

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent: the scale set copies the real files there")


def day_of(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y%m%d")


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    return folder, plan_scale_set(folder, collectors=3, days=2)


def test_the_layout_reads_as_real_archives(two_days):
    folder, plan = two_days
    assert {collector_from_path(f.path) for f in plan} == {"rrc00", "route-views.sg", "route-views6"}
    assert all(collector_from_path(f.path) == f.collector for f in plan)
    names = {f.path.relative_to(folder).as_posix() for f in plan}
    assert "rrc00/2024.06/bview.20240603.0000.gz" in names
    assert "rrc00/2024.06/updates.20240604.2345.gz" in names
    assert "route-views.sg/bgpdata/2024.06/RIBS/rib.20240603.0000.gz" in names
    assert "route-views6/bgpdata/2024.06/UPDATES/updates.20240603.0215.gz" in names
    per_day = defaultdict(list)
    for f in plan:
        per_day[f.collector, day_of(f.start)].append(f)
    assert len(per_day) == 6
    for (collector, day), files in per_day.items():
        assert [f.kind for f in files] == ["rib"] + ["updates"] * 96          # a RIB, then every 15 minutes
        assert files[0].source == RIBS[{"rrc00": "ris", "route-views6": "routeviews6"}.get(collector, "routeviews")]
        assert [f.start for f in files] == sorted(f.start for f in files)
        paths = [str(f.path) for f in files]
        assert paths == sorted(paths), "the files of a collector-day sort in time order by name"
        full = [f for f in files if f.source == FULL_TABLE]
        assert len(full) == 1 and full[0].path.name == f"updates.{day}.0200.gz"
    assert {f.source for f in plan if f.kind == "updates"} >= {FULL_TABLE, "dnas__rrc23.updates.20220421.0200.gz"}


def test_every_copy_lands_at_its_slot_with_its_own_content(tmp_path):
    files = build_scale_set(tmp_path, collectors=2, days=1, slot_minutes=30)
    assert len(files) == 2 * (1 + 48)
    assert len({(f.source, f.delta) for f in files}) == len(files)
    digests = {hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files}
    assert len(digests) == len(files)
    for f in files:
        offset = 0 if f.collector == "rrc00" else 1                        # the collector's index, in seconds
        assert first_timestamp(f.path) == f.start + offset == first_timestamp(DATA / f.source) + f.delta
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []            # no temporary file left


def test_a_target_ends_the_set_and_one_it_cannot_hold_is_refused(two_days):
    folder, plan = two_days
    total = sum(f.elements for f in plan)
    short = plan_scale_set(folder, collectors=3, days=2, target_elements=total // 2)
    assert short == plan[:len(short)]
    assert sum(f.elements for f in short) >= total // 2 > sum(f.elements for f in short[:-1])
    with pytest.raises(ValueError, match=f"hold {total:,} elements"):
        plan_scale_set(folder, collectors=3, days=2, target_elements=total + 1)


def test_the_ingest_stores_the_elements_the_set_counts(tmp_path):
    from explorer.ingest.pipeline import ingest
    from explorer.store import Store

    files = build_scale_set(tmp_path / "set", collectors=2, days=1, target_elements=500_000)
    with Store(tmp_path / "scale.duckdb") as store:
        outcomes = [o for o in ingest(store, [f.path for f in files]) if hasattr(o, "status")]
        assert Counter(o.status for o in outcomes) == {"ok": len(files)}
        n, = store.con.execute("SELECT count(*) FROM elements").fetchone()
        collectors = {c for c, in store.con.execute("SELECT DISTINCT collector FROM files").fetchall()}
    assert n == sum(f.elements for f in files) >= 500_000
    assert collectors == {"rrc00", "route-views.sg"}
