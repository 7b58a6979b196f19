"""Table tests: every rule, with a good and a bad value, for every table that has the rule."""

from __future__ import annotations

import random

import pytest

from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.dictionary.model import FieldSpec, TableSpec
from hisbridge.testing.documents import make_id_card, valid_record

D = load_dictionary()
TABLES = list(D)
STRICT = Validator("strict")
LENIENT = Validator("lenient")


def _first(table: TableSpec, pred: object) -> FieldSpec | None:
    return next((f for f in table.sent_fields if pred(f)), None)  # type: ignore[operator]


def _rules(table: str, record: dict[str, object], validator: Validator = STRICT) -> set[tuple[str, str]]:
    return {(v.field, v.rule) for v in validator.validate(table, record) if v.severity == "error"}


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_valid_record_passes_both_modes(table: TableSpec) -> None:
    for full in (False, True):
        record = valid_record(table, random.Random(1), full=full)
        assert STRICT.validate(table.name, record) == []
        assert LENIENT.validate(table.name, record) == []


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_required_fields(table: TableSpec) -> None:
    for f in table.sent_fields:
        if f.required_level not in ("mandatory", "mandatory_observed"):
            continue
        for empty in (None, ""):
            record = valid_record(table, **{f.name: empty})
            rule = "parent_key" if any(p.field == f.name for p in table.parent_keys) else "required"
            assert (f.name, rule) in _rules(table.name, record), f.name
            lenient = _rules(table.name, record, LENIENT)
            assert ((f.name, rule) in lenient) == (f.required_level == "mandatory")


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_datetime_format(table: TableSpec) -> None:
    f = _first(table, lambda f: f.type == "datetime")
    if f is None:
        pytest.fail(f"{table.name} has no datetime field")  # every table has one
    good = valid_record(table, **{f.name: "2026-02-28 23:59:59"})
    assert not any(r == "datetime" for _, r in _rules(table.name, good))
    for bad in ("2026-02-30 10:00:00", "2026/02/01 10:00:00", "2026-02-01", "yesterday"):
        assert (f.name, "datetime") in _rules(table.name, valid_record(table, **{f.name: bad}))


@pytest.mark.parametrize("table", [t for t in TABLES if any(f.type == "date" for f in t.fields)],
                         ids=lambda t: t.name)
def test_date_format(table: TableSpec) -> None:
    f = _first(table, lambda f: f.type == "date")
    assert f is not None
    assert (f.name, "date") not in _rules(table.name, valid_record(table, **{f.name: "2000-02-29"}))
    for bad in ("2001-02-29", "20010228", "2001-02-28 00:00:00"):
        assert (f.name, "date") in _rules(table.name, valid_record(table, **{f.name: bad}))


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_length_in_characters(table: TableSpec) -> None:
    f = _first(table, lambda f: f.type == "varchar" and f.length and not f.code_set
               and f.name != "id_card" and f.name != table.primary_key)
    assert f is not None and f.length
    ok = valid_record(table, **{f.name: "汉" * f.length})
    assert (f.name, "length") not in _rules(table.name, ok)
    bad = valid_record(table, **{f.name: "汉" * (f.length + 1)})
    assert (f.name, "length") in _rules(table.name, bad)
    assert (f.name, "length") in _rules(table.name, bad, LENIENT)


@pytest.mark.parametrize("table", [t for t in TABLES if any(
    f.code_set and D.code_set(f.code_set).codes for f in t.sent_fields)], ids=lambda t: t.name)
def test_code_set_error_in_strict_warning_in_lenient(table: TableSpec) -> None:
    f = _first(table, lambda f: f.code_set and D.code_set(f.code_set).codes)
    assert f is not None
    codes = list(D.code_set(f.code_set).codes)
    assert (f.name, "code_set") not in _rules(table.name, valid_record(table, **{f.name: codes[-1]}))
    bad = valid_record(table, **{f.name: "ZZ-not-a-code"[: f.length or 99]})
    assert (f.name, "code_set") in _rules(table.name, bad)
    warnings = {(v.field, v.rule) for v in LENIENT.validate(table.name, bad) if v.severity == "warning"}
    assert (f.name, "code_set") in warnings and (f.name, "code_set") not in _rules(table.name, bad, LENIENT)


def test_multi_codes_checked_one_by_one() -> None:
    t = "emr_activity_info"
    good = valid_record(t, wm_disease_code="A15.0||J18.900x001")
    assert ("wm_disease_code", "code_format") not in _rules(t, good)
    bad = STRICT.validate(t, valid_record(t, wm_disease_code="A15.0||bogus"))
    hits = [v for v in bad if v.field == "wm_disease_code"]
    assert len(hits) == 1 and hits[0].value == "bogus"


@pytest.mark.parametrize("table", [t for t in TABLES if t.field("id_card")], ids=lambda t: t.name)
def test_resident_id_number_rules(table: TableSpec) -> None:
    rng = random.Random(3)
    good = make_id_card(rng, "1990-05-17", "2")
    base = {"id_card_type_code": "01", "id_card": good}
    if table.field("birth_date"):
        base["birth_date"] = "1990-05-17"
    if table.field("gender_code"):
        base["gender_code"] = "2"
    assert not {r for _, r in _rules(table.name, valid_record(table, **base))} & {
        "id_card", "id_card_birth", "id_card_gender"}
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert ("id_card", "id_card") in _rules(table.name, valid_record(table, **{**base, "id_card": broken}))
    passport = valid_record(table, **{**base, "id_card_type_code": "03", "id_card": "E12345678"})
    assert ("id_card", "id_card") not in _rules(table.name, passport)
    if table.field("birth_date"):
        wrong_birth = valid_record(table, **{**base, "birth_date": "1991-05-17"})
        assert ("birth_date", "id_card_birth") in _rules(table.name, wrong_birth)
    if table.field("gender_code"):
        wrong_gender = valid_record(table, **{**base, "gender_code": "1"})
        assert ("gender_code", "id_card_gender") in _rules(table.name, wrong_gender)


@pytest.mark.parametrize("table", [t for t in TABLES if t.parent_keys], ids=lambda t: t.name)
def test_parent_key_present(table: TableSpec) -> None:
    key = table.parent_keys[0].field
    assert (key, "parent_key") in _rules(table.name, valid_record(table, **{key: None}))
    assert (key, "parent_key") in _rules(table.name, valid_record(table, **{key: None}), LENIENT)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_unknown_field_and_types(table: TableSpec) -> None:
    record = valid_record(table, no_such_column="x")
    assert ("no_such_column", "unknown_field") in _rules(table.name, record)
    f = _first(table, lambda f: f.type == "varchar" and f.name != table.primary_key)
    assert f is not None
    for bad in ({"a": 1}, [1, 2], True):
        assert (f.name, "type") in _rules(table.name, valid_record(table, **{f.name: bad}), LENIENT)
    assert (f.name, "type") not in _rules(table.name, valid_record(table, **{f.name: 7}))


def test_keys_in_any_style_are_matched() -> None:
    record = valid_record("emr_patient_info")
    camel = {D.table("emr_patient_info").field(k).camel: v for k, v in record.items()}
    upper = {k.upper(): v for k, v in record.items()}
    assert STRICT.validate("emr_patient_info", camel) == []
    assert STRICT.validate("emr_patient_info", upper) == []


def test_strict_rejects_empty_gender_lenient_accepts() -> None:
    record = valid_record("emr_patient_info", gender_code="", gender_name="")
    assert ("gender_code", "required") in _rules("emr_patient_info", record)
    assert _rules("emr_patient_info", record, LENIENT) == set()


def test_not_an_object_and_unknown_table() -> None:
    assert [v.rule for v in STRICT.validate("emr_order", ["x"])] == ["not_an_object"]
    assert [v.rule for v in STRICT.validate("emr_nope", {})] == ["unknown_table"]


def test_violation_names_table_field_label_rule_and_hints() -> None:
    [v] = [v for v in STRICT.validate("emr_ex_lab_item", valid_record(
        "emr_ex_lab_item", examination_result_name="x" * 30)) if v.rule == "length"]
    assert (v.table, v.field, v.label_zh) == ("emr_ex_lab_item", "examination_result_name",
                                             D.table("emr_ex_lab_item").field("examination_result_name").label_zh)
    assert "20" in v.hint_zh and "20" in v.hint_en and v.severity == "error"
