from explorer.ingest.collectors import collector_from_path


def test_archive_layouts():
    assert collector_from_path("/data/route-views.sg/bgpdata/2014.12/UPDATES/updates.20141222.1615.bz2") \
        == "route-views.sg"
    assert collector_from_path("/data/bgpdata/2014.12/RIBS/rib.20141222.1600.bz2") == "route-views2"
    assert collector_from_path("/data/rrc00/2014.12/updates.20141222.1615.gz") == "rrc00"
    assert collector_from_path("dnas__rrc23.updates.20220421.0200.gz") == "rrc23"
    assert collector_from_path("routeviews.route-views.jinx.updates.1427846400.bz2") == "route-views.jinx"
    assert collector_from_path("/tmp/updates.20070211.0141.gz") == "unknown"
    assert collector_from_path("/archive/rrc123/x.gz") == "unknown"


def test_nearest_name_wins():
    assert collector_from_path("/mirror/rrc00/copies/route-views2/rib.bz2") == "route-views2"
