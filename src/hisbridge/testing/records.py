"""Synthetic records that pass the validator (strict mode), for tests and benchmarks.

No real patient data: names are placeholders and resident ID numbers are generated with valid
check digits from a counter. ``sample_record(table, record_id, parent_id=...)`` fills every
field the strict validator requires with a value of the right type, code set and length.
"""

from __future__ import annotations

from typing import Any

from hisbridge.spec import FieldSpec, TableSpec, load_dictionary
from hisbridge.spec.idcard import check_digit

__all__ = ["sample_id_card", "sample_record"]

_PATTERN_VALUES = {
    "org_code_9": "440100001",
    "admin_division_9": "440106000",
    "icd10": "A01.0",
    "tcm_disease": "A01",
    "tcm_syndrome": "B02",
}


def sample_id_card(n: int) -> str:
    """A valid 18-digit resident ID number (born 1980-1999) derived from ``n``."""
    year = 1980 + n % 20
    first17 = f"440106{year:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def _value(field: FieldSpec, serial: int) -> str:
    if field.type == "datetime":
        return "2026-03-01 08:30:00"
    if field.type == "date":
        return "1990-05-17"
    if field.type == "int":
        return "1"
    if field.type == "decimal":
        return "36.5"
    code_set = load_dictionary().code_set(field.code_set)
    if code_set is not None and code_set.codes:
        return next(iter(code_set.codes))
    if field.code_set in _PATTERN_VALUES:
        return _PATTERN_VALUES[field.code_set]
    text = f"测试{serial}"
    return text[: field.length] if field.length else text


def sample_record(table: str | TableSpec, record_id: str, *, parent_id: str | None = None,
                  serial: int = 0, **overrides: Any) -> dict[str, Any]:
    """A strict-valid record of ``table`` with id ``record_id`` (snake_case keys)."""
    spec = table if isinstance(table, TableSpec) else load_dictionary().table(table)
    record: dict[str, Any] = {}
    for field in spec.fields:
        if field.required_in("strict"):
            record[field.name] = _value(field, serial)
    record[spec.primary_key] = record_id
    if "id_card" in record:
        record["id_card"] = sample_id_card(serial)
        record.pop("birth_date", None)
        if "gender_code" in record:  # keep the gender consistent with the ID number
            record["gender_code"] = "1" if int(record["id_card"][16]) % 2 else "2"
    for parent in spec.parent_keys:
        record[parent.field] = parent_id or f"parent-of-{record_id}"
    record.update(overrides)
    return record
