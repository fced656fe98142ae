"""The bgpstream filter language on real elements from the North Korea (AS131279) data set.

Values come from ../shared/data/kp/kp_elems_extracted.csv, and the count over that file is checked
against a count made another way (ipaddress.subnet_of and a plain split of the path).
"""

from __future__ import annotations

import csv
from ipaddress import ip_network
from pathlib import Path

import pytest

from explorer.ingest.filters import ElementFilter, FilterError, parse_filter

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
KP_CSV = SHARED / "data" / "kp" / "kp_elems_extracted.csv"

# (elem_type, peer_asn, prefix, as_path, communities), as rows of the CSV give them
KP_VIA_LEVEL3 = ("A", 3856, "175.45.176.0/24", "2914 1239 4837 131279", None)
KP_VIA_CN_TELECOM = ("A", 3491, "175.45.177.0/24", "3491 4837 134544 131279", None)
KP_WITHDRAWN = ("W", 14061, "175.45.177.0/24", None, None)
RUSSIAN_LINK = ("A", 3856, "77.94.35.0/24", "8764 30721", None)
CHINA_UNICOM = ("A", 3856, "210.52.109.0/24", "2914 7018 9929 9929", None)
V6_RIB = ("R", 6939, "2001:db8:1::/48", "6939 3356 {64512,64513}", ["3356:2", "65535:666"])


def passes(expr: str, elem: tuple) -> bool:
    return parse_filter(expr).matches(*elem)


# --- empty filter -----------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["", "   ", "\t\n"])
def test_blank_filter_matches_everything(expr: str) -> None:
    f = parse_filter(expr)
    assert isinstance(f, ElementFilter)
    assert f.is_empty and f.text == ""
    assert all(f.matches(*e) for e in (KP_VIA_LEVEL3, KP_WITHDRAWN, V6_RIB))
    assert f.matches_file("rrc23", "updates") and f.matches_file("route-views2", "rib", None)


def test_a_real_filter_is_not_empty() -> None:
    assert not parse_filter("peer 3856").is_empty
    assert not parse_filter("collector rrc23").is_empty


# --- prefix -----------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, elem_prefix, expected", [
    ("prefix more 175.45.176.0/22", "175.45.177.0/24", True),   # more specific
    ("prefix more 175.45.176.0/22", "175.45.176.0/22", True),   # the prefix itself
    ("prefix more 175.45.176.0/22", "175.45.0.0/16", False),    # less specific
    ("prefix more 175.45.176.0/22", "175.45.180.0/24", False),  # next door
    ("prefix less 175.45.177.0/24", "175.45.176.0/22", True),
    ("prefix less 175.45.177.0/24", "0.0.0.0/0", True),
    ("prefix less 175.45.177.0/24", "175.45.177.128/25", False),
    ("prefix less 175.45.177.0/24", "175.45.178.0/23", False),
    ("prefix exact 175.45.177.0/24", "175.45.177.0/24", True),
    ("prefix exact 175.45.177.0/24", "175.45.176.0/22", False),
    ("prefix exact 175.45.177.0/24", "175.45.177.0/25", False),
    ("prefix any 175.45.177.0/24", "175.45.176.0/22", True),
    ("prefix any 175.45.177.0/24", "175.45.177.0/25", True),
    ("prefix any 175.45.177.0/24", "175.45.178.0/24", False),
    ("prefix more 77.94.35.0/24", "77.94.35.51/32", True),
    ("prefix more 2001:db8::/32", "2001:db8:1::/48", True),
    ("prefix more 2001:db8::/32", "2001:db9::/32", False),
    ("prefix less 2001:db8:1::/48", "2001:db8::/32", True),
    ("prefix more 2001:db8::/32", "32.1.13.184/29", False),     # IPv4 elem, IPv6 filter
    ("prefix more 0.0.0.0/0", "2001:db8::/32", False),
])
def test_prefix_specificity(expr: str, elem_prefix: str, expected: bool) -> None:
    assert passes(expr, ("A", 3856, elem_prefix, "2914 1239 4837 131279", None)) is expected


def test_prefix_without_word_means_more_as_in_bgpstream() -> None:
    f = parse_filter("prefix 175.45.176.0/22")
    assert f.text == "prefix more 175.45.176.0/22"
    assert f.matches(*KP_VIA_CN_TELECOM)
    assert not f.matches("A", 3856, "175.45.0.0/16", "2914 4837", None)


def test_several_prefixes_each_take_the_latest_word() -> None:
    f = parse_filter("prefix exact 77.94.35.51/32 more 175.45.176.0/22 2001:db8::/32")
    assert f.text == "prefix exact 77.94.35.51/32 more 175.45.176.0/22 more 2001:db8::/32"
    assert f.matches("W", 48526, "77.94.35.51/32", None, None)
    assert not f.matches(*RUSSIAN_LINK)  # 77.94.35.0/24 is less specific than the exact /32
    assert f.matches(*KP_VIA_LEVEL3) and f.matches(*V6_RIB)
    assert not f.matches(*CHINA_UNICOM)


def test_pref_is_bgpstreams_short_form_and_host_bits_are_cleared() -> None:
    f = parse_filter("pref more 175.45.177.1/22")
    assert f.text == "prefix more 175.45.176.0/22"
    assert f.matches(*KP_VIA_LEVEL3)


def test_withdrawal_matches_prefix_and_peer_without_a_path() -> None:
    assert passes("prefix more 175.45.176.0/22", KP_WITHDRAWN)
    assert passes("peer 14061 and prefix exact 175.45.177.0/24", KP_WITHDRAWN)
    assert not passes("peer 3856", KP_WITHDRAWN)


def test_the_same_prefix_asked_again_gets_the_same_answer() -> None:
    f = parse_filter("prefix more 175.45.176.0/22")
    assert [f.matches(*KP_VIA_LEVEL3) for _ in range(3)] == [True] * 3
    assert [f.matches(*RUSSIAN_LINK) for _ in range(3)] == [False] * 3


def test_unreadable_element_prefix_matches_nothing() -> None:
    f = parse_filter("prefix more 0.0.0.0/0")
    assert not f.matches("A", 1, "not-a-prefix", "1", None)
    assert not f.matches("S", 1, "", None, None)


# --- AS path ----------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, path, expected", [
    ("path _131279_", "4837 134544 131279", True),
    ("path _131279_", "2914 7018 9929 9929", False),
    ("path _13127_", "4837 134544 131279", False),          # _ is a boundary, not a substring
    ("path _4837_", "2914 1239 4837 131279", True),
    ("path ^3356_", "3356 174 4837 131279", True),
    ("path ^3356_", "2914 3356 4837 131279", False),
    ("path ^3356_", "33560 4837", False),
    ("path _4837 131279$", "2914 1239 4837 131279", True),  # unquoted words make one regex
    ("path _4837 131279$", "3491 4837 134544 131279", False),
    ('path "_4837 131279$"', "2914 1239 4837 131279", True),
    ("aspath _134544_131279$", "3491 4837 134544 131279", True),
    ("path !_4837_", "8764 30721", True),
    ("path !_4837_", "2914 1239 4837 131279", False),
    ("path _64513_", "6939 3356 {64512,64513}", True),     # inside an AS set
    ("path _{64512,64513}$", "6939 3356 {64512,64513}", True),  # braces are literal
    ("path ^(2914|3491)_", "3491 4837 134544 131279", True),
    ("path ^(2914|3491)_", "14061 2914 4837", False),
    ("path ^$", "", True),                                  # an empty (iBGP) path
])
def test_path_regex(expr: str, path: str, expected: bool) -> None:
    assert passes(expr, ("A", 3856, "175.45.177.0/24", path, None)) is expected


def test_withdrawals_never_pass_a_path_clause_even_negated() -> None:
    assert not passes("path _131279_", KP_WITHDRAWN)
    assert not passes("path !_131279_", KP_WITHDRAWN)


def test_repeated_path_clauses_must_all_hold() -> None:
    f = parse_filter("path _4837_ and path !^2914_")
    assert f.matches(*KP_VIA_CN_TELECOM)
    assert not f.matches(*KP_VIA_LEVEL3)
    assert not f.matches(*RUSSIAN_LINK)


# --- peer, ipversion, elemtype, community -----------------------------------------------------

def test_peer() -> None:
    assert passes("peer 3856", KP_VIA_LEVEL3)
    assert not passes("peer 3856", KP_VIA_CN_TELECOM)
    assert passes("peer 3856 3491", KP_VIA_CN_TELECOM)


def test_ipversion() -> None:
    assert passes("ipversion 4", KP_VIA_LEVEL3) and not passes("ipversion 4", V6_RIB)
    assert passes("ipv 6", V6_RIB) and not passes("ipv 6", KP_WITHDRAWN)
    assert passes("ipversion 4 6", V6_RIB) and passes("ipversion 4 6", KP_WITHDRAWN)
    assert not passes("ipversion 4 6", ("S", 3856, "", None, None))


@pytest.mark.parametrize("expr, elem, expected", [
    ("elemtype announcements", KP_VIA_LEVEL3, True),
    ("elemtype announcements", KP_WITHDRAWN, False),
    ("elemtype withdrawals", KP_WITHDRAWN, True),
    ("elemtype withdrawal", KP_WITHDRAWN, True),
    ("elemtype ribs", V6_RIB, True),
    ("elemtype rib", KP_VIA_LEVEL3, False),
    ("elemtype announcements withdrawals", KP_WITHDRAWN, True),
    ("elemtype announcements withdrawals", V6_RIB, False),
    ("elemtype peerstates", ("S", 3856, "", None, None), True),
])
def test_elemtype(expr: str, elem: tuple, expected: bool) -> None:
    assert passes(expr, elem) is expected


@pytest.mark.parametrize("expr, communities, expected", [
    ("community 2914:420", ["2914:420", "65535:666"], True),
    ("community 2914:420", ["2914:410"], False),
    ("comm *:666", ["2914:420", "65535:666"], True),
    ("comm *:666", ["666:1"], False),
    ("comm 3356:*", ["3356:2"], True),
    ("comm 3356:*", ["33560:2", "1:3356"], False),
    ("comm 3356:*", ["3356:2:1"], False),                  # a large community is not ASN:VALUE
    ("comm *:*", ["1:1"], True),
    ("comm *:*", [], False),
    ("comm 2914:410 *:666", ["65535:666"], True),
    ("comm 2914:420", None, False),
])
def test_community(expr: str, communities: list[str] | None, expected: bool) -> None:
    assert passes(expr, ("A", 3856, "175.45.176.0/24", "2914 1239 4837 131279",
                         communities)) is expected


def test_withdrawals_never_pass_a_community_clause() -> None:
    assert not passes("comm *:*", ("W", 3856, "175.45.176.0/24", None, ["1:1"]))


# --- file terms -------------------------------------------------------------------------------

def test_file_terms_select_files_not_elements() -> None:
    f = parse_filter("collector rrc23 route-views2 and type updates and project ris routeviews")
    assert f.matches_file("rrc23", "updates", "ris")
    assert f.matches_file("RRC23", "updates", "RIS")
    assert not f.matches_file("rrc23", "rib", "ris")
    assert not f.matches_file("rrc00", "updates", "ris")
    assert f.matches_file("rrc23", "updates")             # project read from the name: ris
    assert f.matches_file("route-views2", "updates")      # routeviews
    assert not f.matches_file("rrc23", "updates", "isolario")
    assert not parse_filter("project ris").matches_file("route-views2", "rib")
    assert not parse_filter("project ris").matches_file("unknown", "rib")
    assert f.matches(*KP_WITHDRAWN) and f.matches(*V6_RIB)
    assert not f.is_empty


def test_type_ribs_and_short_forms() -> None:
    f = parse_filter("coll route-views2 and type rib")
    assert f.text == "collector route-views2 and type ribs"
    assert f.matches_file("route-views2", "rib") and not f.matches_file("route-views2", "updates")
    assert parse_filter("proj ris").matches_file("rrc00", "rib", "ris")


# --- language ---------------------------------------------------------------------------------

def test_keywords_are_case_insensitive() -> None:
    f = parse_filter("PREFIX MORE 175.45.176.0/22 AND Path _131279_ and ElemType Announcements")
    assert f.text == "prefix more 175.45.176.0/22 and aspath _131279_ and elemtype announcements"
    assert f.matches(*KP_VIA_LEVEL3) and not f.matches(*KP_WITHDRAWN)


def test_quoted_values_are_values_not_keywords() -> None:
    f = parse_filter("collector \"and\" 'route views'")
    assert f.matches_file("and", "rib") and f.matches_file("route views", "rib")
    assert f.text == "collector \"and\" \"route views\""


def test_text_reads_back_to_the_same_filter() -> None:
    expr = ("prefix any 175.45.176.0/22 exact 2001:db8::/32 and path _4837 131279$ and "
            "comm *:666 and peer 3491 3856 and ipv 4 and elemtype ribs announcements")
    text = parse_filter(expr).text
    assert parse_filter(text).text == text
    for elem in (KP_VIA_LEVEL3, KP_VIA_CN_TELECOM, KP_WITHDRAWN, V6_RIB):
        assert parse_filter(text).matches(*elem) == parse_filter(expr).matches(*elem)


# --- errors -----------------------------------------------------------------------------------

def error_for(expr: str) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse_filter(expr)
    return caught.value


def test_unknown_term_names_word_position_and_valid_terms() -> None:
    err = error_for("peer 3856 and origin 131279")
    assert err.word == "origin" and err.position == 14
    message = str(err)
    assert "'origin'" in message and "column 15" in message
    for term in ("prefix", "aspath", "peer", "community", "elemtype", "collector"):
        assert term in message


def test_pfx_is_not_bgpstream_and_gets_a_hint() -> None:
    err = error_for("pfx 175.45.176.0/22")
    assert err.word == "pfx" and "did you mean 'prefix'" in str(err)


@pytest.mark.parametrize("expr, word, position, says", [
    ("prefix more 175.45.176.0/33", "175.45.176.0/33", 12, "not an IP prefix"),
    ("prefix more 131279", "131279", 12, "not an IP prefix"),
    ("prefix more", "more", 7, "followed by a prefix"),
    ("ipversion 5", "5", 10, "4, 6"),
    ("peer 3856 and", "and", 10, "dangling 'and'"),
    ("and peer 3856", "and", 0, "expected a term"),
    ("peer 3856 and and peer 1", "and", 14, "expected a term"),
    ("peer", "peer", 0, "needs at least one value"),
    ("peer AS3856", "AS3856", 5, "not an AS number"),
    ("peer 3856 peer 3491", "peer", 10, "'and' missing"),
    ("peer 3856 and peer 3491", "peer", 14, "repeats a term"),
    ("elemtype updates", "updates", 9, "announcements"),
    ("type announcements", "announcements", 5, "ribs, updates"),
    ("comm 3356", "3356", 5, "ASN:VALUE"),
    ("comm 70000:1", "70000:1", 5, "ASN:VALUE"),
    ("path _(131279_", "_(131279_", 5, "invalid"),
    ('path "_4837 131279$', '"_4837 131279$', 5, "unterminated quote"),
    ('path "^3356_" "_1$"', "_1$", 14, "one regular expression"),
])
def test_errors(expr: str, word: str, position: int, says: str) -> None:
    err = error_for(expr)
    assert (err.word, err.position) == (word, position)
    assert says in str(err)
    assert f"column {position + 1}" in str(err)


def test_filter_error_is_a_value_error() -> None:
    assert issubclass(FilterError, ValueError)


# --- the KP data set --------------------------------------------------------------------------

def kp_rows() -> list[dict[str, str]]:
    if not KP_CSV.exists():
        pytest.skip(f"shared data not found at {KP_CSV} (the ../shared checkout is absent)")
    with KP_CSV.open(newline="") as fh:
        return list(csv.DictReader(fh))


def as_elem(row: dict[str, str]) -> tuple:
    return (row["type"], int(row["peer_asn"]), row["prefix"], row["as_path"] or None, None)


def test_kp_csv_count_agrees_with_an_independent_count() -> None:
    rows = kp_rows()
    block = ip_network("175.45.176.0/22")
    expected = sum(
        1 for row in rows
        if ip_network(row["prefix"]).subnet_of(block) and "131279" in row["as_path"].split()
    )
    f = parse_filter("prefix more 175.45.176.0/22 and path _131279_")
    assert sum(f.matches(*as_elem(row)) for row in rows) == expected
    assert 0 < expected < len(rows)


def test_kp_csv_withdrawals_pass_the_prefix_clause_alone() -> None:
    rows = kp_rows()
    block = ip_network("175.45.176.0/22")
    in_block = [row for row in rows if ip_network(row["prefix"]).subnet_of(block)]
    f = parse_filter("prefix more 175.45.176.0/22")
    assert sum(f.matches(*as_elem(row)) for row in rows) == len(in_block)
    assert any(row["type"] == "W" for row in in_block)


def test_kp_csv_peer_and_elemtype() -> None:
    rows = kp_rows()
    f = parse_filter("peer 3856 14061 and elemtype announcements")
    expected = sum(1 for r in rows if r["peer_asn"] in ("3856", "14061") and r["type"] == "A")
    assert sum(f.matches(*as_elem(row)) for row in rows) == expected > 0


# -- issue 10: three bugs of the element filter ---------------------------------------------------

def test_an_element_prefix_longer_than_its_family_selects_nothing_and_does_not_crash() -> None:
    flt = parse_filter("prefix more 10.0.0.0/8")
    assert flt.matches("A", 1, "10.0.0.0/33", "1 2", None) is False        # was: negative shift count
    assert flt.matches("A", 1, "2001:db8::/129", "1 2", None) is False
    assert flt.matches("A", 1, "10.1.0.0/16", "1 2", None) is True


def test_an_empty_element_type_is_no_withdrawal() -> None:
    """``elem_type in "WS"`` was a substring test: '' is in every string, so an element of no type
    passed as a withdrawal would (path and community clauses refuse withdrawals)."""
    path = parse_filter("path _4837_")
    comm = parse_filter("comm 2914:420")
    assert path.matches("", 1, "10.0.0.0/8", "1 4837 2", None) is True
    assert comm.matches("", 1, "10.0.0.0/8", "1 2", ["2914:420"]) is True
    assert path.matches("W", 1, "10.0.0.0/8", None, None) is False


def test_type_updates_keeps_legacy_type_5_update_files() -> None:
    flt = parse_filter("type updates")
    assert flt.matches_file("rrc00", "legacy") is True
    assert flt.matches_file("rrc00", "updates") is True
    assert flt.matches_file("rrc00", "rib") is False
    assert parse_filter("type ribs").matches_file("rrc00", "legacy") is False


def test_element_clauses_go_to_the_decoders() -> None:
    flt = parse_filter("collector rrc23 and prefix 175.45.176.0/22 and path _4837_ and comm *:666 and peer 1 2")
    assert flt.element_text() == 'prefix more 175.45.176.0/22 and aspath _4837_ and community *:666 and peer 1 2'
    pushed, residual = flt.for_bgpkit("updates")
    assert pushed == {"prefix_sub": "175.45.176.0/22", "as_path": "(?:^|$|[ {},_])4837(?:^|$|[ {},_])"}
    assert residual.text == "peer 1 2 and community *:666"
