"""The scenario is deterministic and scales: same parameters, same bytes; more sessions and
prefixes, still distinct peers and well-formed files."""

from __future__ import annotations

import hashlib

from explorer.demo.archive import write_archive
from explorer.demo.cast import KP_PREFIXES
from explorer.demo.scenario import Params, build_story, utc

WINDOW = dict(start=utc("2014-12-22T16:00:00"), days=1 / 48)


def _digests(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_params_same_files(tmp_path):
    params = Params(sessions=5, background=20, collectors=3, **WINDOW)
    for build in ("a", "b"):
        write_archive(build_story(params), tmp_path / build)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b and len(a) == 3 * (1 + 2)            # per collector: a RIB at the start, two update files
    assert "demo-route-views2/bgpdata/2014.12/RIBS/rib.20141222.1600.bz2" in a
    assert "demo-route-views2/bgpdata/2014.12/UPDATES/updates.20141222.1615.bz2" in a
    assert "demo-rrc00/2014.12/bview.20141222.1600.gz" in a
    assert "demo-rrc06/2014.12/updates.20141222.1615.gz" in a
    other = build_story(Params(sessions=5, background=20, collectors=3, seed=1, **WINDOW))
    assert [(e.ts, e.session) for e in other.events] != [(e.ts, e.session) for e in build_story(params).events]


def test_scales_to_many_sessions_and_prefixes(tmp_path):
    params = Params(sessions=260, background=100, collectors=1, start=utc("2014-12-22T16:00:00"), days=1 / 48)
    story = build_story(params)
    assert len({(s.collector.name, s.peer.ip) for s in story.sessions}) == 260
    assert len({b.prefix for b in story.background}) == 100
    written = write_archive(story, tmp_path, log=True)
    assert written.rib_entries == 260 * (100 + len(KP_PREFIXES))
    withdrawn = {e[2] for elems in written.log.values() for e in elems if e[0] == "W"}
    assert len(withdrawn) == 260                       # every session withdraws KP in the wave up to 16:15:00
