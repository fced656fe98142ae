"""A large file read in pieces by several parsers (issue 10) gives what reading it whole gives.

The pieces are cut at record boundaries by the header walk (``mrt_scan.Pieces``); each is an MRT
file of its own, so an independent parser (bgpdump) counts in the pieces what it counts in the
file. The store then holds the same routes whichever way the file was read.
"""

from __future__ import annotations

import gzip
import struct

import pyarrow as pa
import pytest

import explorer.ingest.pipeline as pipeline
from explorer.ingest.mrt_scan import Pieces, scan_mrt
from explorer.ingest.pipeline import Source, _cut_for, ingest
from explorer.ingest.reader import Split, combine, read_file, split_file
from explorer.store import Store
from tests.conftest import data_file
from tests.reference import bgpdump_counts

UPDATES = "mrt/dnas__rrc23.updates.20220421.0200.gz"          # RIS rrc23, 56,001 elements, 4.8 MB unpacked
RIB_V1 = "mrt/bgpdump__bview.20020722.2337.gz"                # TABLE_DUMP v1: one entry a record
RIB_V2 = "mrt/pyasn__rib.20140523.0600_firstMB.bz2"           # TABLE_DUMP_V2, cut off mid-stream
PIECE = 1 << 20


def cut(path, folder) -> tuple:
    pieces = Pieces(str(folder), PIECE)
    try:
        scan = scan_mrt(path, sink=pieces)
    finally:
        pieces.close()
    return scan, pieces.paths


@pytest.mark.parametrize("name", [UPDATES, RIB_V1])
def test_pieces_hold_what_bgpdump_reads_in_the_file(tmp_path, name):
    path = data_file(name)
    scan, pieces = cut(path, tmp_path)
    assert len(pieces) >= 4
    whole = bgpdump_counts(path)
    summed = {k: sum(bgpdump_counts(p)[k] for p in pieces) for k in whole}
    assert summed == whole
    assert sum(scan_mrt(p).records for p in pieces) == scan.records


def test_every_piece_of_a_table_dump_v2_starts_with_its_peer_index(tmp_path):
    path = data_file(RIB_V2)
    scan, pieces = cut(path, tmp_path)
    assert scan.truncated and len(pieces) >= 8
    scans = [scan_mrt(p) for p in pieces]
    assert all(s.has_peer_index and s.kind == "rib" and not s.truncated for s in scans)
    with open(pieces[0], "rb") as fh:
        first = fh.read(4096)
    for p in pieces[1:]:
        with open(p, "rb") as fh:
            assert fh.read(4096)[:64] == first[:64]
    # every RIB record once; the peer index once per piece
    assert sum(s.records for s in scans) == scan.records + len(pieces) - 1
    assert sum(s.rib_entries for s in scans) == scan.rib_entries == 270_005     # bgpdump: 270,005 B lines


def rows(read) -> pa.Table:
    tables, first = [], 0
    for part in read.row_files():
        t = pa.ipc.open_stream(part).read_all()
        t = t.set_column(t.schema.get_field_index("seq"), "seq", pa.array(t.column("seq").to_numpy() + first))
        first += t.num_rows
        tables.append(t)
    return pa.concat_tables(tables)


@pytest.mark.parametrize("name, backend", [(UPDATES, "auto"), (RIB_V1, "auto"), (RIB_V2, "auto"),
                                           (UPDATES, "bgpkit")])
def test_a_file_read_in_pieces_reads_as_the_whole(tmp_path, name, backend):
    path = str(data_file(name))
    whole = read_file(path, str(tmp_path / "whole.arrow"), "rrc00", backend=backend)
    (tmp_path / "pieces").mkdir()
    split = split_file(path, str(tmp_path / "cut.arrow"), "rrc00", str(tmp_path / "pieces"), PIECE, backend=backend)
    assert isinstance(split, Split) and len(split.pieces) >= 4
    reads = [read_file(p, str(tmp_path / f"cut.{i}.arrow"), "rrc00", backend=backend,
                       snapshot_ts_us=split.scan.first_ts_us) for i, p in enumerate(split.pieces)]
    joined = combine(split.scan, reads)
    joined.finish_states("rrc00")
    for field in ("elements", "withdrawals", "first_ts_us", "last_ts_us", "backend", "unreadable"):
        assert getattr(joined, field) == getattr(whole, field), field
    assert sorted(joined.sessions) == sorted(whole.sessions)
    assert joined.names == whole.names
    assert joined.states.equals(whole.states)
    a, b = rows(joined), rows(whole)
    if split.scan.kind == "updates":
        assert a.equals(b)                          # file order, position for position
    else:                                           # a dump's entries share one key: only the place differs
        keys = ["session_id", "prefix_id", "kind", "start_key", "path"]
        assert a.select(keys).sort_by([(k, "ascending") for k in keys]).equals(
            b.select(keys).sort_by([(k, "ascending") for k in keys]))
        assert sorted(a.column("seq").to_pylist()) == list(range(whole.elements))


def test_a_damaged_file_is_read_whole(tmp_path):
    """Past a header that cannot be right, a backend may read differently from the walk: no cut."""
    raw = bytearray(gzip.decompress(data_file(UPDATES).read_bytes()))
    at = 0
    while at < len(raw) // 2:                               # the record header nearest the middle
        at += 12 + struct.unpack_from(">I", raw, at + 8)[0]
    struct.pack_into(">H", raw, at + 4, 0xFFFF)            # an MRT type no header has
    path = tmp_path / "damaged.mrt"
    path.write_bytes(bytes(raw))
    (tmp_path / "pieces").mkdir()
    got = split_file(str(path), str(tmp_path / "out.arrow"), "rrc00", str(tmp_path / "pieces"), PIECE)
    assert not isinstance(got, Split)
    assert got.scan.damaged_at == at
    assert list((tmp_path / "pieces").iterdir()) == []


def store_rows(path) -> dict[str, list]:
    with Store(path, read_only=True) as s:
        out = {}
        for table in ("routes", "routes_open"):
            out[table] = sorted(s.con.execute(f"""
                SELECT f.sha256, r.session_id, r.prefix_id, r.kind, r.start_key, r.path, r.end_key,
                       CASE WHEN r.kind = 0 THEN NULL ELSE r.seq END
                FROM {table} r JOIN files f USING (file_id)""").fetchall(), key=repr)
        out["files"] = sorted(s.con.execute("""
            SELECT sha256, status, reason, backend, rib_entries, announcements, withdrawals, state_changes,
                   first_ts, last_ts, snapshot_ts FROM files""").fetchall())
        out["state_changes"] = sorted(s.con.execute("SELECT * EXCLUDE (file_id) FROM state_changes").fetchall())
        out["sessions"] = sorted(s.con.execute("SELECT * FROM sessions").fetchall())
        return out


def test_an_import_with_cut_files_stores_what_one_parser_stores(tmp_path, monkeypatch):
    names = [RIB_V1, UPDATES, RIB_V2]
    paths = [data_file(n) for n in names]
    monkeypatch.setattr(pipeline, "_PIECE_MIN_BYTES", PIECE)
    total = sum(p.stat().st_size for p in paths)
    (tmp_path / "plan").mkdir()
    for i, (p, kind) in enumerate(zip(paths, ["rib", "updates", "rib"])):     # the rule cuts each, for 2 parsers
        planned = _cut_for(Source(str(p), p, p.stat().st_size, "", "rrc00", kind), total, 2, str(tmp_path / "plan"), i)
        assert planned is not None and planned[1] < p.stat().st_size * 4     # pieces of it, several
    for jobs in (1, 2):
        with Store(tmp_path / f"jobs{jobs}.duckdb") as s:
            got = [e for e in ingest(s, [str(p) for p in paths], jobs=jobs) if hasattr(e, "status")]
        assert [e.status for e in got] == ["ok", "ok", "truncated"]
    one, two = store_rows(tmp_path / "jobs1.duckdb"), store_rows(tmp_path / "jobs2.duckdb")
    assert sum(f[4] + f[5] + f[6] for f in one["files"]) == 115_521 + 56_001 + 270_005     # bgpdump's counts
    for table in one:
        assert one[table] == two[table], table
