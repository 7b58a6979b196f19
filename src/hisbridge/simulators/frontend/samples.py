"""Synthetic records for any of the 20 tables, valid under the strict validator.

For tests, demos and benchmarks of the simulator and of its clients. Values are made up:
the resident ID number is generated with a valid check digit for a fictitious person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hisbridge.spec import Dictionary, FieldSpec, TableSpec, load_dictionary
from hisbridge.spec.idcard import check_digit

__all__ = ["sample_id_card", "sample_record"]

_PATTERN_VALUES: Mapping[str, str] = {
    "org_code_9": "123456789",
    "admin_division_9": "110105001",
    "icd10": "J18.9",
    "tcm_disease": "A01.01",
    "tcm_syndrome": "B02.03",
}
_SPECIAL: Mapping[str, str] = {
    "tel": "13800138000",
    "contacts_tel": "13900139000",
    "patient_name": "王小明",
    "user_name": "李医生",
    "invalid_flag": "0",
}


def sample_id_card(region: str = "110105", birth: str = "19800101", order: str = "002") -> str:
    """A resident ID number with a valid check digit (order's last digit even = female)."""
    body = f"{region}{birth}{order}"
    return body + check_digit(body)


def _value(dictionary: Dictionary, f: FieldSpec, n: int) -> str:
    if f.name in _SPECIAL:
        return _SPECIAL[f.name]
    if f.name == "id_card" or f.name.endswith("_id_card"):
        return sample_id_card()
    if f.name == "birth_date":
        return "1980-01-01"
    if f.name == "gender_code":
        return "2"
    if f.type == "datetime":
        return f"2026-03-01 08:{n % 60:02d}:00"
    if f.type == "date":
        return "2026-03-01"
    if f.type == "int":
        return str(n)
    if f.type == "decimal":
        return f"{n}.5"
    code_set = dictionary.code_set(f.code_set)
    if code_set is not None and code_set.codes:
        return next(iter(code_set.codes))
    if code_set is not None and code_set.name in _PATTERN_VALUES:
        return _PATTERN_VALUES[code_set.name]
    text = f"{f.label_zh or f.name}"
    return text[: f.length] if f.length else text


def sample_record(
    table: TableSpec | str, record_id: str, *, parent_id: str = "p-1",
    dictionary: Dictionary | None = None, overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every field the hospital sends, filled with a valid synthetic value (snake_case keys)."""
    dictionary = dictionary or load_dictionary()
    spec = dictionary.table(table) if isinstance(table, str) else table
    parents = {p.field for p in spec.parent_keys}
    record: dict[str, Any] = {}
    for n, f in enumerate(spec.sent_fields):
        if f.name == spec.primary_key:
            record[f.name] = record_id
        elif f.name in parents:
            record[f.name] = parent_id
        else:
            record[f.name] = _value(dictionary, f, n)
    record.update(overrides or {})
    return record
