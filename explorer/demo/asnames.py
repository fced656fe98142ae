"""Names of the ASes the demo's paths use, as an AS-names file (``{"asn": "NAME Description, CC"}``)
that the demo build imports like any registry file, so that its graph reads "AS4837 CHINA169-BACKBONE".

Names as the public AS-name registries gave them around 2014.
"""

from __future__ import annotations

import json
from pathlib import Path

AS_NAMES = {
    174: "COGENT-174 - Cogent Communications, US",
    701: "UUNET - MCI Communications Services, Inc. d/b/a Verizon Business, US",
    1239: "SPRINTLINK - Sprint, US",
    1299: "TELIANET TeliaSonera AB, SE",
    2497: "IIJ Internet Initiative Japan Inc., JP",
    2500: "WIDE-BB WIDE Project, JP",
    2516: "KDDI KDDI CORPORATION, JP",
    2914: "NTT-COMMUNICATIONS-2914 - NTT America, Inc., US",
    3257: "TINET-BACKBONE Tinet SpA, DE",
    3356: "LEVEL3 - Level 3 Communications, Inc., US",
    3491: "BTN-ASN - Beyond The Network America, Inc., US",
    3786: "LGDACOM LG DACOM Corporation, KR",
    4134: "CHINANET-BACKBONE No.31,Jin-rong Street, CN",
    4538: "ERX-CERNET-BKB China Education and Research Network Center, CN",
    4713: "OCN NTT Communications Corporation, JP",
    4766: "KIXS-AS-KR Korea Telecom, KR",
    4837: "CHINA169-BACKBONE CNCGROUP China169 Backbone, CN",
    6453: "AS6453 - TATA COMMUNICATIONS (AMERICA) INC, US",
    6939: "HURRICANE - Hurricane Electric, Inc., US",
    7660: "APAN-JP Asia Pacific Advanced Network - Japan, JP",
    8359: "MTS MTS OJSC, RU",
    8402: "CORBINA-AS OJSC Vimpelcom, RU",
    9318: "HANARO-AS Hanaro Telecom Inc., KR",
    9808: "CMNET-GD Guangdong Mobile Communication Co.Ltd., CN",
    12389: "ROSTELECOM-AS OJSC Rostelecom, RU",
    13238: "YANDEX Yandex LLC, RU",
    17676: "GIGAINFRA Softbank BB Corp., JP",
    22351: "INTELSAT-1 - Intelsat Global Service LLC, US",
    131279: "STAR-KP Ryugyong-dong, KP",
}


def write_asnames(folder: Path, asns) -> Path:
    """The names of ``asns`` that we know, as a file in ``folder``."""
    path = folder / "demo-asnames.json"
    path.write_text(json.dumps({str(a): AS_NAMES[a] for a in sorted(asns) if a in AS_NAMES}, indent=1))
    return path
