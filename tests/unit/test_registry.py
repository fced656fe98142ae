"""Countries by code or name, and the registry file formats, read from the real files."""

from __future__ import annotations

import iptocc
import pytest

from explorer.registry import CountryError, resolve_country
from explorer.registry.files import RegistryFileError, read_registry_file
from tests.conftest import data_file


@pytest.mark.parametrize("text", ["KP", "kp", "PRK", "North Korea", "Korea, Democratic People's Republic of",
                                  "  north   korea "])
def test_a_country_is_its_code_or_any_of_its_english_names(text):
    assert resolve_country(text).code == "KP"


def test_an_unknown_country_is_refused_with_the_nearest_matches():
    with pytest.raises(CountryError) as err:
        resolve_country("North Koria")
    assert "North Korea (KP)" in str(err.value)


def test_builtin_mapping_places_the_four_kp_slash24s_in_kp():
    assert iptocc.country_code([f"175.45.{n}.0" for n in range(176, 180)]) == ["KP"] * 4


def test_delegation_files_plain_and_extended():
    apnic = read_registry_file(data_file("registry/rir2014-10-09-bestroutetb__delegated-apnic-latest"))
    assert (apnic.kind, apnic.registry, str(apnic.file_date)) == ("delegation", "apnic", "2014-10-09")
    kp_v4 = [(lo, hi) for af, lo, hi, cc in apnic.ranges if cc == "KP" and af == 4]
    assert ((175 << 24) + (45 << 16) + (176 << 8), (175 << 24) + (45 << 16) + (180 << 8) - 1) in kp_v4
    assert (131279, 131279, "KP") in apnic.asns
    afrinic = read_registry_file(data_file("registry/rir2019-09-12-exodusvpn__delegated-afrinic-extended-latest"))
    assert afrinic.registry == "afrinic" and (1228, 1228, "ZA") in afrinic.asns


def test_as_names_file():
    names = read_registry_file(data_file("registry/pyasn__asnames.json.gz"))
    assert len(names.names) == 77_586
    assert (131279, "STAR-KP Ryugyong-dong", "KP") in names.names


def test_a_file_of_another_kind_is_refused_by_name():
    with pytest.raises(RegistryFileError, match="not a registry file"):
        read_registry_file(data_file("registry/pyasn__ipasn_20140513.dat.gz"))


def test_caida_as_to_organisation_file(tmp_path):
    # the layout of CAIDA's as-org2info files: two '# format:' sections, '|' separated
    path = tmp_path / "20141001.as-org2info.txt"
    path.write_text("# name: AS Org\n"
                    "# format:org_id|changed|org_name|country|source\n"
                    "STAR-ARIN|20140801|Star Joint Venture Co. Ltd.|KP|APNIC\n"
                    "# format:aut|changed|aut_name|org_id|opaque_id|source\n"
                    "131279|20140801|STAR-KP|STAR-ARIN||APNIC\n")
    f = read_registry_file(path)
    assert (f.kind, str(f.file_date)) == ("as2org", "2014-10-01")
    assert f.names == [(131279, "STAR-KP - Star Joint Venture Co. Ltd.", "KP")]
