"""What the 2025 front-end accepted: a datetime in a date field (lenient: its date is sent;
strict: refused), and contacts required only for patients aged 14 or younger (strict)."""

from __future__ import annotations

import random

import pytest

from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.dictionary.validator import age_at_visit
from hisbridge.dictionary.wire import to_wire, wire_value
from hisbridge.store.intake import normalize_record
from hisbridge.testing.documents import make_id_card

D = load_dictionary()
LENIENT, STRICT = Validator("lenient"), Validator("strict")


def _date_findings(v: Validator, value: str) -> list[tuple[str, str]]:
    found = v.validate("emr_order", {"id": "O1", "patient_id": "V1",
                                     "prescription_issuance_date": value})
    return [(x.rule, x.severity) for x in found if x.field == "prescription_issuance_date"]


@pytest.mark.parametrize(("value", "lenient", "strict"), [
    ("2026-12-03", [], []),
    ("2026-12-03 09:53:55", [("date", "warning")], [("date", "error")]),
    ("2026-12-03T09:53:55", [("date", "warning")], [("date", "error")]),
    ("2026-12-03 09:53:55.120", [("date", "warning")], [("date", "error")]),
    ("2026-12-03 25:53:55", [("date", "error")], [("date", "error")]),  # not a real time
    ("2026-02-30 09:53:55", [("date", "error")], [("date", "error")]),
    ("03/12/2026", [("date", "error")], [("date", "error")]),
])
def test_datetime_in_a_date_field(value: str, lenient: list[tuple[str, str]],
                                  strict: list[tuple[str, str]]) -> None:
    assert _date_findings(LENIENT, value) == lenient
    assert _date_findings(STRICT, value) == strict


def test_the_strict_error_and_the_lenient_warning_say_what_happens() -> None:
    [warn] = [x for x in LENIENT.validate("emr_patient_info", {"id": "1",
              "birth_date": "2020-12-03 09:53:55"}) if x.field == "birth_date"]
    assert "2020-12-03" in warn.hint_zh and "2020-12-03" in warn.hint_en
    assert warn.label_zh == "出生日期"
    [err] = [x for x in STRICT.validate("emr_patient_info", {"id": "1",
             "birth_date": "2020-12-03 09:53:55"}) if x.field == "birth_date"]
    assert "只发送日期" in err.hint_zh and "only its date" in err.hint_en


def test_a_datetime_in_a_date_field_is_sent_as_its_date() -> None:
    spec = D.table("emr_order")
    field = spec.field("prescription_issuance_date")
    assert field is not None and wire_value(field, "2026-12-03 09:53:55") == "2026-12-03"
    record = {"id": "O1", "patient_id": "V1", "prescription_issuance_date": "2026-12-03 09:53:55",
              "operation_time": "2026-12-03 09:53:55"}
    stored = normalize_record(spec, record)
    assert stored["prescription_issuance_date"] == "2026-12-03"
    assert stored["operation_time"] == "2026-12-03 09:53:55"  # datetimes stay datetimes
    assert to_wire(spec, record)["prescriptionIssuanceDate"] == "2026-12-03"


def _patient(birth: str, **extra: str) -> dict[str, str]:
    return {"id": "V1", "birth_date": birth, "operation_time": "2026-03-02 08:00:00", **extra}


@pytest.mark.parametrize(("birth", "age", "required"), [
    ("2020-05-01", 5, True),
    ("2011-03-02", 15, False),     # 15 on the visit day
    ("2011-03-03", 14, True),      # 15 tomorrow: still 14
    ("2012-03-02", 14, True),
    ("1990-05-17", 35, False),
])
def test_contacts_are_required_for_children_in_strict_mode(birth: str, age: int,
                                                           required: bool) -> None:
    record = _patient(birth)
    assert age_at_visit(record) == age
    strict = {x.field for x in STRICT.validate("emr_patient_info", record)
              if x.rule == "required" and x.field.startswith("contacts")}
    assert strict == ({"contacts", "contacts_tel"} if required else set())
    assert not [x for x in LENIENT.validate("emr_patient_info", record)
                if x.field.startswith("contacts")]
    filled = STRICT.validate("emr_patient_info", _patient(birth, contacts="王某",
                                                          contacts_tel="13800138000"))
    assert not [x for x in filled if x.field.startswith("contacts")]


def test_the_child_rule_names_the_age_and_applies_to_report_cards() -> None:
    found = STRICT.validate("emr_inf_report", {"id": "R1", "patient_id": "V1",
                                               "birth_date": "2022-01-01",
                                               "report_date": "2026-03-02 08:00:00"})
    [contacts] = [x for x in found if x.field == "contacts"]
    assert "4 岁" in contacts.hint_zh and contacts.label_zh == "联系人"


def test_without_a_birth_date_or_a_visit_date_the_age_is_unknown() -> None:
    assert age_at_visit({"birth_date": "2020-01-01"}) is None
    assert age_at_visit({"operation_time": "2026-03-02 08:00:00"}) is None
    # the birth date read from a resident ID number counts
    card = make_id_card(random.Random(1), "2020-01-01", "1")
    assert age_at_visit({"id_card": card, "operation_time": "2026-03-02 08:00:00"}) == 6
