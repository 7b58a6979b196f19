"""Diagnosis codes mapped by hierarchy against the front-end's list; ``||`` lists split;
codes an optional map leaves out are counted (never silent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge.dictionary import load_dictionary
from hisbridge.mapping.codemaps import CodeMap, CodeMaps, code_candidates
from hisbridge.mapping.drugs import DrugCatalogue
from hisbridge.mapping.rows import RowMapper
from hisbridge.mapping.sqlfile import parse_mapping_text

D = load_dictionary()
DISEASES = D.code_set("infectious_disease_icd10")
assert DISEASES is not None
FRONT = CodeMap(DISEASES)


@pytest.mark.parametrize(("his_code", "sent", "generalised"), [
    ("A15.0", "A15.0", False),          # exact
    ("A15.000", "A15.0", True),         # national clinical edition: extension dropped
    ("A15.000x001", "A15.0", True),     # x-extension, then the extension digits
    ("J10.100", "J10", True),           # influenza: down to the category
    ("U07.100", "U07.10", True),        # COVID-19: the list's own granularity
    ("B01.900", "B01.90", True),        # varicella
    ("B15.900", "B15.900", False),      # the list holds the long form too
    ("A20.000", "A20", True),           # plague
    ("J09.x01", "J09.x01", False),      # an x code that is itself in the list
    (" A15.0 ", "A15.0", False),        # stray spaces
    ("a15.000", "A15.0", True),         # a HIS storing the chapter letter in lower case
    ("j10.100", "J10", True),
    ("A15.000X001", "A15.0", True),     # an upper-case X extension
])
def test_hierarchy_finds_the_nearest_listed_code(his_code: str, sent: str,
                                                 generalised: bool) -> None:
    hit = FRONT.lookup(his_code)
    assert hit is not None and (hit.code, hit.generalised) == (sent, generalised)
    assert hit.label == DISEASES.codes[sent]


@pytest.mark.parametrize("his_code", ["I10.x00", "J18.900", "K35", "Z00.0", "", "感冒"])
def test_codes_outside_the_list_find_nothing(his_code: str) -> None:
    assert FRONT.lookup(his_code) is None


def test_non_diagnosis_code_sets_match_exactly() -> None:
    dept = D.code_set("department")
    assert dept is not None
    assert CodeMap(dept).lookup("A03.01.99") is None  # no guessing outside ICD code sets


_ICD = st.builds(
    lambda letter, cat, sub, ext, mark: f"{letter}{cat:02d}{sub}{ext}{mark}",
    st.sampled_from("ABJUIKZ"), st.integers(0, 99),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,4}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"x[0-9]{3}", fullmatch=True)),
    st.sampled_from(["", "+", "*"]))


@given(_ICD)
def test_candidates_narrow_to_the_category(code: str) -> None:
    found = code_candidates(code)
    assert found[0] == code and len(found) == len(set(found))
    assert [len(c) for c in found[1:]] == sorted((len(c) for c in found[1:]), reverse=True)
    assert found[-1] == code[:3] and all(not c.endswith(".") for c in found)
    assert all(code.startswith(c.rstrip("+*")) or "x" in code or c == code for c in found)


@given(_ICD)
def test_lookup_sends_a_listed_code_on_the_same_branch(code: str) -> None:
    hit = FRONT.lookup(code)
    if code in DISEASES.codes:
        assert hit is not None and hit.code == code and not hit.generalised
    if hit is not None:
        assert hit.code in DISEASES.codes and hit.code in code_candidates(code)
        assert hit.code[:3] == code[:3]
    elif any(c in DISEASES.codes for c in code_candidates(code)):
        pytest.fail(f"{code} has a listed ancestor but found nothing")


def _activity() -> RowMapper:
    text = ("-- table: emr_activity_info\n-- watermark: w\n"
            "-- codes: disease_code=infectious_disease_icd10?, wm_disease_code=icd10\n"
            "SELECT 1 WHERE a >= :since AND a <= :until")
    return RowMapper(parse_mapping_text(text, Path("02.sql"), D), CodeMaps({}, D),
                     DrugCatalogue({}, frozenset()), dictionary=D)


def test_several_codes_are_split_mapped_and_rejoined() -> None:
    out = _activity().map_row({"id": "D1", "disease_code": "A15.000||J10.100",
                               "disease_name": "肺结核||流行性感冒"})
    assert out.record["disease_code"] == "A15.0||J10"
    assert out.record["disease_name"] == "肺结核||流行性感冒"
    assert out.generalised == [("disease_code", "infectious_disease_icd10", "A15.000", "A15.0"),
                               ("disease_code", "infectious_disease_icd10", "J10.100", "J10")]
    assert out.dropped == []


def test_an_optional_map_drops_only_the_unlisted_part_and_counts_it() -> None:
    out = _activity().map_row({"id": "D1", "disease_code": "I10.x00||A15.000",
                               "disease_name": "高血压||肺结核"})
    assert out.record["disease_code"] == "A15.0" and out.record["disease_name"] == "肺结核"
    assert out.dropped == [("disease_code", "infectious_disease_icd10", "I10.x00")]
    assert out.unmapped == [] and not out.problems


def test_a_fully_dropped_code_takes_its_name_along_and_is_counted() -> None:
    out = _activity().map_row({"id": "D1", "disease_code": "I10.x00", "disease_name": "高血压"})
    assert "disease_code" not in out.record and "disease_name" not in out.record
    assert out.dropped == [("disease_code", "infectious_disease_icd10", "I10.x00")]


def test_labels_are_filled_for_generalised_codes_without_a_name() -> None:
    out = _activity().map_row({"id": "D1", "disease_code": "U07.100"})
    assert out.record["disease_code"] == "U07.10"
    assert out.record["disease_name"] == DISEASES.codes["U07.10"]
