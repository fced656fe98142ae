"""Short names for AS labels, from the AS-names data as the registries give it."""

import gzip
import json

import pytest

from explorer.registry.asname import label_variants, short_name
from tests.conftest import data_file


@pytest.mark.parametrize("name, short", [
    ("HURRICANE - Hurricane Electric, Inc., US", "Hurricane Electric"),                  # handle - org, CC
    ("CHINA169-BACKBONE CNCGROUP China169 Backbone, CN", "CNCGROUP China169 Backbone"),  # handle org, CC
    ("UUNET - MCI Communications Services, Inc. d/b/a Verizon Business, US", "Verizon Business"),
    ("ROSTELECOM-AS OJSC Rostelecom, RU", "Rostelecom"),                                 # legal form first
    ("AS6453 - TATA COMMUNICATIONS (AMERICA) INC, US", "TATA COMMUNICATIONS"),
    ("APAN-JP Asia Pacific Advanced Network - Japan, JP", "Asia Pacific Advanced Network Japan"),
    ("CHINANET-BACKBONE No.31,Jin-rong Street, CN", "CHINANET-BACKBONE"),     # an address: the handle
    ("STAR-KP Ryugyong-dong, KP", "STAR-KP"),
    ("TELIANET , SE", "TELIANET"),                                           # no organisation
    ("-Private Use AS-, ZZ", "Private Use AS"),
    (None, ""),
])
def test_the_organisation_without_its_legal_form_else_the_handle(name, short):
    assert short_name(name) == short


def test_labels_shorten_at_word_boundaries_only():
    assert label_variants(4837, "CHINA169-BACKBONE CNCGROUP China169 Backbone, CN") == [
        "AS4837 CNCGROUP China169 Backbone", "AS4837 CNCGROUP China169", "AS4837 CNCGROUP", "AS4837"]
    assert label_variants(4134, "CHINANET-BACKBONE No.31,Jin-rong Street, CN") == [
        "AS4134 CHINANET-BACKBONE", "AS4134 CHINANET", "AS4134"]          # a hyphen inside a handle is a boundary
    assert label_variants(3491, "BTN-ASN - Beyond The Network America, Inc., US")[:3] == [
        "AS3491 Beyond The Network America", "AS3491 Beyond The Network", "AS3491 Beyond"]    # never "Beyond The"
    assert label_variants(131279, None) == ["AS131279"]


def test_every_name_of_the_real_as_names_file_shortens_to_whole_words():
    """77,586 names: each label is the AS number and whole words (or hyphen-separated parts) of its name."""
    with gzip.open(data_file("registry/pyasn__asnames.json.gz")) as f:
        names = json.load(f)
    for asn, name in names.items():
        variants = label_variants(int(asn), name)
        assert variants[-1] == f"AS{asn}"
        assert all(len(v) <= 36 for v in variants[:-1])
        short = short_name(name)
        for v in variants[:-1]:
            tail = v[len(f"AS{asn} "):]
            assert tail == short or short.startswith(tail + " ") or short.startswith(tail + "-"), (name, v)
