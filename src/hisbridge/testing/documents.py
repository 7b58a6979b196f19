"""Synthetic, valid records of the 20 tables, for tests, benchmarks and fixtures.

Every value is made up: names are generic, resident ID numbers are generated with a correct
check digit. ``valid_record`` fills every field the strict validator requires plus the codes
and dates a realistic record carries.
"""

from __future__ import annotations

import random
from typing import Any

from hisbridge.dictionary.catalog import load_dictionary
from hisbridge.dictionary.idcard import check_digit
from hisbridge.dictionary.model import FieldSpec, TableSpec
from hisbridge.dictionary.validator import age_at_visit

__all__ = ["make_id_card", "valid_record"]

_CODE_DEFAULTS = {
    "org_code_9": "440100001",
    "admin_division_9": "440106001",
    "icd10": "A15.0",
    "tcm_disease": "BNF010",
    "tcm_syndrome": "ZBRGX0",
}
_TEXT = "患者自述无明显不适"


def make_id_card(rng: random.Random, birth: str = "1990-05-17", gender: str = "1") -> str:
    """A synthetic resident ID number with a valid check digit, birth date and gender."""
    region = rng.choice(["440106", "440103", "440304", "110101", "310104"])
    seq = rng.randrange(0, 50) * 2 + (1 if gender == "1" else 0)
    first17 = f"{region}{birth.replace('-', '')}{rng.randrange(10):01d}{seq:02d}"
    return first17 + check_digit(first17)


def _value(f: FieldSpec, rng: random.Random) -> str:
    d = load_dictionary()
    code_set = d.code_set(f.code_set)
    if code_set is not None and code_set.codes:
        return next(iter(code_set.codes)) if f.name != "gender_code" else "1"
    if f.code_set in _CODE_DEFAULTS:
        return _CODE_DEFAULTS[f.code_set]
    if f.type == "datetime":
        return f"2026-03-{rng.randrange(1, 28):02d} {rng.randrange(24):02d}:30:00"
    if f.type == "date":
        return "1990-05-17"
    if f.type == "text":
        return _TEXT
    limit = f.length or 20
    return f"{f.name[:6]}{rng.randrange(10**6)}"[:limit]


def valid_record(table: TableSpec | str, rng: random.Random | None = None,
                 *, full: bool = False, **overrides: Any) -> dict[str, Any]:
    """A record that passes the strict validator; ``full`` fills every sent field."""
    spec = load_dictionary().table(table) if isinstance(table, str) else table
    rng = rng or random.Random(0)
    record: dict[str, Any] = {}
    for f in spec.sent_fields:
        wanted = full or f.required_level in ("mandatory", "mandatory_observed") or f.code_set
        if wanted or f.name == spec.primary_key or f.type in ("date", "datetime"):
            record[f.name] = _value(f, rng)
    record[spec.primary_key] = f"{spec.name[:8]}-{rng.randrange(10**9)}"
    if "id_card" in record:
        record["id_card_type_code"] = "01"
        record["id_card"] = make_id_card(rng, record.get("birth_date", "1990-05-17"),
                                         record.get("gender_code", "1"))
    if "gender_code" in record:
        record["gender_code"] = "1"
    for name in ("patient_name", "contacts"):
        if name in record:
            record[name] = "测试患者"
    record.update(overrides)
    _guardian(spec, record)
    return record


def _guardian(spec: TableSpec, record: dict[str, Any]) -> None:
    """A child (14 or younger) comes with contacts in strict mode: fill them when missing."""
    if spec.field("contacts") is None or "contacts" in record:
        return
    age = age_at_visit({k: str(v) for k, v in record.items()})
    if age is not None and age <= 14:
        record.setdefault("contacts", "测试家属")
        record.setdefault("contacts_tel", "13800138000")
