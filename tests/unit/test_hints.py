"""Fix hints say what the spec allows the hospital to send, never "provide it in the mapping"."""

from __future__ import annotations

import pytest

from hisbridge.dictionary import Validator
from hisbridge.dictionary.hints import required_hint
from hisbridge.testing import sample_record


def _violation(record: dict[str, object], field: str, rule: str) -> tuple[str, str]:
    found = [v for v in Validator("strict").validate("emr_patient_info", record)
             if v.field == field and v.rule == rule]
    assert found, (field, rule)
    return found[0].hint_zh, found[0].hint_en


def test_a_patient_without_an_id_number_is_told_which_id_type_to_send() -> None:
    record = sample_record("emr_patient_info", "P-1")
    del record["id_card"]
    zh, en = _violation(record, "id_card", "required")
    for code, zh_label, en_word in (("03", "护照", "passport"), ("02", "居民户口簿", "household"),
                                    ("99", "其他法定有效证件", "other legal document")):
        assert f"{code}（{zh_label}" in zh and code in en and en_word in en


@pytest.mark.parametrize(("field", "rule", "expected_zh", "expected_en"), [
    ("birth_date", "date", "真实存在的日期", "a real date"),
    ("gender_code", "code_set", "codemaps/gender.csv", "hisbridge dictionary codes gender"),
])
def test_hints_name_the_fix(field: str, rule: str, expected_zh: str, expected_en: str) -> None:
    bad = {"birth_date": "1990-02-30", "gender_code": "X"}[field]
    zh, en = _violation({**sample_record("emr_patient_info", "P-1"), field: bad}, field, rule)
    assert expected_zh in zh and expected_en in en


@pytest.mark.parametrize("field", ["patient_name", "id", "id_card", "org_code", "workunit"])
def test_no_required_hint_asks_the_mapping_to_invent_a_value(field: str) -> None:
    zh, en = required_hint(field)
    assert "provide a value in the mapping" not in en and "请在映射中提供该值" not in zh
    assert zh and en and ("HIS" in zh + en or "spec codes" in en or "mapping SQL" in en)
