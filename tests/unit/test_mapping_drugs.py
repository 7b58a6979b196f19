"""The drug catalogue and the default classes by ATC prefix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge.errors import ConfigError
from hisbridge.mapping.config import DEFAULT_DRUG_CLASSES
from hisbridge.mapping.drugs import ATC_DEFAULTS, default_class, parse_drug_catalogue


@pytest.mark.parametrize(("atc", "expected"), [
    ("J05AH02", "antiviral"),        # oseltamivir
    ("J05AF07", "hiv"),              # tenofovir: HIV prefix beats J05
    ("J05AG03", "hiv"), ("J05AR03", "hiv"), ("J05AE03", "hiv"),
    ("J01CA04", "antibacterial"),    # amoxicillin
    ("J04AC01", "tb"),               # isoniazid
    ("J04BA02", "other"),            # dapsone (leprosy) is J04B, not TB
    ("P02BA01", "schistosomiasis"),  # praziquantel
    ("P02BA02", "other"),
    ("N02BE01", "antipyretic"),      # paracetamol
    ("R05CB06", "antitussive"),      # ambroxol
    ("C08CA01", "other"), ("", "other"), (None, "other"), ("j01ca04", "antibacterial"),
])
def test_default_class(atc: str | None, expected: str) -> None:
    assert default_class(atc) == expected


@given(st.sampled_from(sorted(ATC_DEFAULTS)), st.text("ABCDEFGHJKLMNPRSTVX0123456789", max_size=4))
def test_longer_codes_keep_their_prefix_class_unless_a_longer_rule_exists(prefix: str,
                                                                          tail: str) -> None:
    got = default_class(prefix + tail)
    longer = [p for p in ATC_DEFAULTS if p.startswith(prefix) and (prefix + tail).startswith(p)]
    assert got == ATC_DEFAULTS[max(longer, key=len)]


def test_catalogue_overrides_and_wanted() -> None:
    text = ("hospital_code,hospital_name,atc_code,standard_code,drug_class\n"
            "Y1,布洛芬,M01AE01,271,antipyretic\nY2,恩替卡韦,J05AF10,248,antiviral\n"
            "Y3,替诺福韦,J05AF07,253,\nY4,氨氯地平,C08CA01,,\nY5,氨溴索,R05CB06,,excluded\n")
    cat = parse_drug_catalogue(text, frozenset(DEFAULT_DRUG_CLASSES), "d.csv")
    assert {k: e.drug_class for k, e in cat.entries.items()} == {
        "Y1": "antipyretic", "Y2": "antiviral", "Y3": "hiv", "Y4": "other", "Y5": "excluded"}
    assert [k for k in cat.entries if cat.is_wanted(k)] == ["Y1", "Y2", "Y3"]
    assert not cat.is_wanted("UNKNOWN")


def test_unknown_standard_drug_code_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"d\.csv:2"):
        parse_drug_catalogue("hospital_code,atc_code,standard_code\nY1,J01,99999\n",
                             frozenset(), "d.csv")
