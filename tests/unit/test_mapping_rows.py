"""RowMapper: driver values -> wire strings, code maps, labels, drug filter, delete flags."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge.dictionary import load_dictionary
from hisbridge.mapping.codemaps import CodeMaps, parse_code_map
from hisbridge.mapping.config import DEFAULT_DRUG_CLASSES
from hisbridge.mapping.drugs import parse_drug_catalogue
from hisbridge.mapping.rows import RowMapper
from hisbridge.mapping.sqlfile import parse_mapping_text

D = load_dictionary()
_TAIL = "\nSELECT 1 WHERE a > :since AND a <= :until"
_CATALOGUE = ("hospital_code,hospital_name,atc_code,standard_code,drug_class\n"
              "Y0101,奥司他韦,J05AH02,257,\nY1001,氨氯地平,C08CA01,,\nY0704,氨溴索,R05CB06,,\n")


def _mapper(header: str, strict: bool = False) -> RowMapper:
    gender = D.code_set("gender")
    dept = D.code_set("department")
    assert gender is not None and dept is not None
    maps = CodeMaps({
        "gender": parse_code_map("hospital_code,standard_code\n男,1\n女,2\n", gender, "g"),
        "department": parse_code_map("hospital_code,standard_code\n1001,A03.01\n", dept, "d"),
    }, D)
    drugs = parse_drug_catalogue(_CATALOGUE, frozenset(DEFAULT_DRUG_CLASSES), "c")
    mapping = parse_mapping_text(header + _TAIL, Path("x.sql"), D)
    return RowMapper(mapping, maps, drugs, strict_codes=strict,
                     constants={"org_code": "440100001", "org_name": "示例医院"}, dictionary=D)


PATIENT = _mapper("-- table: emr_patient_info\n-- watermark: w\n-- delete_flag: del\n"
                  "-- codes: gender_code=gender, nation_code=ethnicity")


@pytest.mark.parametrize(("column", "raw", "expected"), [
    ("birth_date", datetime(1990, 5, 17, 0, 0), "1990-05-17"),
    ("birth_date", date(1990, 5, 17), "1990-05-17"),
    ("birth_date", "1990-05-17 00:00:00.000000", "1990-05-17"),   # SQLite text
    ("birth_date", "1990-05-17 08:30:00", "1990-05-17"),
    ("operation_time", datetime(2026, 3, 1, 8, 30, 5, 123), "2026-03-01 08:30:05"),
    ("operation_time", "2026-03-01T08:30:05.250+08:00", "2026-03-01 08:30:05"),
    ("operation_time", date(2026, 3, 1), "2026-03-01 00:00:00"),
    ("tel", 13800138000, "13800138000"),
    ("tel", Decimal("13800138000"), "13800138000"),
    ("workunit", "  某公司  ", "某公司"),
    ("patient_name", "张三".encode("gb18030"), "张三"),          # legacy GBK bytes
    ("invalid_flag", True, "1"),
    ("workunit", "", None),                                          # empty: not sent
])
def test_values_become_wire_strings(column: str, raw: Any, expected: str | None) -> None:
    out = PATIENT.map_row({"id": "V1", column: raw, "w": datetime(2026, 3, 1)})
    assert out.record.get(column) == expected and not out.problems


@pytest.mark.parametrize(("raw", "rule"), [(b"\xff\xfe\xfa", "text_encoding"),
                                           (object(), "type"), ([1, 2], "type")])
def test_undecodable_or_odd_values_are_problems_with_the_field(raw: Any, rule: str) -> None:
    out = PATIENT.map_row({"id": "V1", "workunit": raw})
    assert [(p.field, p.rule, p.label_zh) for p in out.problems] == [("workunit", rule, "工作单位")]
    assert "workunit" not in out.record


def test_codes_are_mapped_and_labels_filled() -> None:
    out = PATIENT.map_row({"id": "V1", "gender_code": "女", "nation_code": "01"})
    assert out.record["gender_code"] == "2" and out.record["gender_name"] == "女"
    assert out.record["nation_code"] == "01" and out.record["nation_name"] == "汉族"
    assert out.record["org_code"] == "440100001" and out.record["org_name"] == "示例医院"
    assert out.unmapped == [] and out.op == "upsert" and out.key == "V1"


def test_a_name_from_the_query_is_kept() -> None:
    out = PATIENT.map_row({"id": "V1", "gender_code": "男", "gender_name": "男性"})
    assert out.record["gender_name"] == "男性"


def test_unmapped_codes_are_counted_and_kept_when_lenient() -> None:
    out = PATIENT.map_row({"id": "V1", "gender_code": "X"})
    assert out.record["gender_code"] == "X" and out.unmapped == [("gender_code", "gender", "X")]
    assert not out.problems


def test_unmapped_codes_are_problems_when_strict() -> None:
    strict = _mapper("-- table: emr_patient_info\n-- watermark: w\n-- codes: gender_code=gender",
                     strict=True)
    out = strict.map_row({"id": "V1", "gender_code": "X"})
    [problem] = out.problems
    assert (problem.field, problem.rule, problem.value) == ("gender_code", "code_map", "X")
    assert "codemaps/gender.csv" in problem.hint_zh


def test_optional_codes_blank_non_standard_values_with_their_name() -> None:
    m = _mapper("-- table: emr_activity_info\n-- watermark: w\n"
                "-- codes: disease_code=infectious_disease_icd10?, dept_code=department")
    flu = m.map_row({"id": "D1", "disease_code": "J10", "disease_name": "流感",
                     "dept_code": "1001"})
    assert flu.record["disease_code"] == "J10" and flu.record["dept_code"] == "A03.01"
    other = m.map_row({"id": "D2", "disease_code": "I10.x00", "disease_name": "高血压"})
    assert "disease_code" not in other.record and "disease_name" not in other.record
    assert other.unmapped == []


def test_multi_valued_codes() -> None:
    m = _mapper("-- table: emr_outpatient_record\n-- watermark: w\n"
                "-- codes: wm_diagnosis_code=icd10")
    ok = m.map_row({"id": "N1", "wm_diagnosis_code": "J10||I10.x00"})
    assert ok.record["wm_diagnosis_code"] == "J10||I10.x00"
    bad = m.map_row({"id": "N1", "wm_diagnosis_code": "J10||感冒"})
    assert bad.unmapped == [("wm_diagnosis_code", "icd10", "感冒")]


@pytest.mark.parametrize(("flag", "op"), [("1", "delete"), ("Y", "delete"), (1, "delete"),
                                          ("0", "upsert"), ("N", "upsert"), (None, "upsert")])
def test_delete_flag(flag: Any, op: str) -> None:
    out = PATIENT.map_row({"id": "V1", "del": flag, "w": "2026-03-01 08:00:00"})
    assert out.op == op and "del" not in out.record and "w" not in out.record
    assert out.watermark == "2026-03-01 08:00:00"


def test_order_items_are_filtered_and_coded_by_the_catalogue() -> None:
    m = _mapper("-- table: emr_order_item\n-- watermark: w\n-- drugs: drug_code")
    wanted = m.map_row({"id": "I1", "order_id": "O1", "drug_code": "Y0101"})
    assert not wanted.filtered and wanted.record["drug_code"] == "257"
    assert m.map_row({"id": "I2", "drug_code": "Y1001"}).filtered       # antihypertensive
    assert m.map_row({"id": "I3", "drug_code": "NOT-IN-CATALOGUE"}).filtered


def test_wanted_drug_without_standard_code_is_counted_or_quarantined() -> None:
    text = _CATALOGUE.replace("Y0704,氨溴索,R05CB06,,", "Y0704,氨溴索,R05CB06,,antitussive")
    m = _mapper("-- table: emr_order_item\n-- watermark: w\n-- drugs: drug_code", strict=True)
    m.drugs = parse_drug_catalogue(text, frozenset(DEFAULT_DRUG_CLASSES), "c")
    out = m.map_row({"id": "I1", "drug_code": "Y0704"})
    assert out.unmapped == [("drug_code", "drug", "Y0704")]
    assert [p.rule for p in out.problems] == ["drug_map"]


def test_orders_are_kept_only_when_an_item_is_wanted() -> None:
    m = _mapper("-- table: emr_order\n-- watermark: w\n-- drugs: item_drug_code")
    rows = [{"id": "O1", "item_drug_code": "Y1001", "w": 1},
            {"id": "O1", "item_drug_code": "Y0101", "w": 1},
            {"id": "O2", "item_drug_code": "Y1001", "w": 2},
            {"id": "O3", "item_drug_code": "Y0101", "w": 3}]
    out = list(m.map_rows(rows))
    assert [(o.key, o.filtered) for o in out] == [("O1", False), ("O2", True), ("O3", False)]
    assert all("item_drug_code" not in o.record for o in out)


_VALUES = st.one_of(
    st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3), st.booleans(),
    st.binary(max_size=12), st.datetimes(), st.dates(), st.lists(st.integers(), max_size=2),
)
_FIELDS = [f.name for f in D.table("emr_patient_info").fields] + ["w", "del", "extra_col"]


@given(st.dictionaries(st.sampled_from(_FIELDS), _VALUES, max_size=12))
def test_any_row_maps_to_strings_or_named_problems(row: dict[str, Any]) -> None:
    out = PATIENT.map_row(row)
    assert all(isinstance(v, str) and v for v in out.record.values())
    assert all(p.field in row and p.rule in ("type", "text_encoding") for p in out.problems)
    assert out.op in ("upsert", "delete")
