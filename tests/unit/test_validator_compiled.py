"""The clean-record screen changes speed, never findings: validate equals the field-by-field walk.

The walk (``_TableChecks._walk`` then the record-wide rules) is the validator as it was before the
screen; it stays the reference. Records start valid (so the screen's fast answer is exercised)
and get the edits that sit on its edges: empties, blanks, control characters, lone surrogates,
lengths at and over the limit, near-miss dates, codes and numbers, non-string values, keys in
other styles, ID numbers and children's ages.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hisbridge.dictionary import Validator, Violation, load_dictionary
from hisbridge.dictionary.model import TableSpec
from hisbridge.testing.documents import make_id_card, valid_record

D = load_dictionary()
NAMES = [t.name for t in D]
VALIDATORS = [Validator("lenient"), Validator("strict")]
EDGE_TEXTS = [
    "", " ", "\t", "a\tb", "a\nb", "a\rb", "\x00", "x\x1fy", "\x7f", "\x85", "\ud800", "汉字",
    "2026-02-28", "2026-02-29", "2024-02-29", "2026-13-01", "0000-01-01", "２０２６-03-01",
    "٢٠٢٦-03-01", "2026-03-01 08:30:00", "2026-03-01 24:00:00", "2026-03-01 23:60:00",
    "2026-03-01T08:30:00", "2026-03-01 08:30:00.5", "2026-3-1", "2026-02-30 08:00:00",
    "2024-02-29 08:00:00", "2026-02-29 08:00:00", "2026-13-01 08:00:00", "2026-03-01 08:60:00",
    "2026-03-01 08:00:60", "0000-01-01 00:00:00", "2026-03-01 19:59:59", "1", " 1 ", "-0.5", "1e3", "x",
    "1||2", "||", "01||", "?", "440100001", "44010000１", "A15.0", "a15.0", "Z99.9x001",
]


def walked(validator: Validator, table: str, record: Any) -> list[Violation]:
    """The reference: every field through its checks in the record's order, then the record."""
    checks = validator._tables[table]
    out: list[Violation] = []
    present = checks._walk(record, out)
    checks._check_record(present, out)
    return out


def edge_value(spec: TableSpec, name: str, rng: random.Random) -> Any:
    field = spec.field(name)
    choice = rng.randrange(6)
    if choice == 0 and field is not None and field.length:
        return "9" * (field.length + rng.choice((-1, 0, 1)))
    if choice == 1:
        code_set = D.code_set(field.code_set if field else None)
        codes = list(code_set.codes) if code_set else []
        return rng.choice(codes) if codes else rng.choice(EDGE_TEXTS)
    if choice == 2:
        return rng.choice([None, 0, 1, 1.5, False, True, Decimal("2.50"), [], {},
                           datetime(2026, 3, 1, 8, 30), date(2026, 3, 1)])
    if choice == 3:
        return make_id_card(rng, rng.choice(["2019-01-01", "1990-05-17"]), rng.choice("12"))
    return rng.choice(EDGE_TEXTS)


def edited(table: str, seed: int, edits: int) -> dict[Any, Any]:
    rng = random.Random(seed)
    spec = D.table(table)
    record: dict[Any, Any] = valid_record(spec, rng, full=rng.random() < 0.5)
    names = [f.name for f in spec.fields]
    for _ in range(edits):
        name = rng.choice(names)
        key: Any = rng.choice([name] * 6 + [name.upper(), spec.field(name).camel,  # type: ignore[union-attr]
                                            "no_such_field", 7])
        if rng.random() < 0.2:  # moved to the end: the findings keep the record's order
            record.pop(name, None)
        record[key] = edge_value(spec, name, rng)
    return record


@settings(max_examples=600, deadline=None)
@given(table=st.sampled_from(NAMES), seed=st.integers(0, 10**9), edits=st.integers(0, 3))
def test_validate_equals_the_walk(table: str, seed: int, edits: int) -> None:
    record = edited(table, seed, edits)
    for validator in VALIDATORS:
        assert validator.validate(table, record) == walked(validator, table, record)


@settings(max_examples=200, deadline=None)
@given(table=st.sampled_from(NAMES), name=st.data(), text=st.text(max_size=24)
       | st.sampled_from(EDGE_TEXTS))
def test_any_text_in_any_field_gives_the_walks_findings(table: str, name: st.DataObject,
                                                        text: str) -> None:
    spec = D.table(table)
    field = name.draw(st.sampled_from([f.name for f in spec.fields]))
    record = valid_record(spec, random.Random(0), full=True) | {field: text}
    for validator in VALIDATORS:
        assert validator.validate(table, record) == walked(validator, table, record)


@pytest.mark.parametrize("table", NAMES)
def test_every_edge_text_in_every_typed_or_coded_field(table: str) -> None:
    spec = D.table(table)
    base = valid_record(spec, random.Random(2), full=True)
    for field in spec.fields:
        if field.type in ("varchar", "text") and not field.code_set:
            continue
        for text in EDGE_TEXTS:
            record = base | {field.name: text}
            for validator in VALIDATORS:
                expected = walked(validator, table, record)
                assert validator.validate(table, record) == expected
                assert validator.validate(table, record) == expected  # once remembered


@pytest.mark.parametrize("table", NAMES)
def test_clean_records_take_the_screen(table: str) -> None:
    for full in (False, True):
        record = valid_record(table, random.Random(3), full=full)
        for validator in VALIDATORS:
            assert validator._tables[table].screen.present(record) is not None


def test_a_remembered_code_does_not_let_another_pass() -> None:
    validator = Validator("lenient")
    record = valid_record("emr_patient_info", random.Random(1), org_code="440100009")
    assert validator.validate("emr_patient_info", record) == []
    assert validator.validate("emr_patient_info", record) == []  # now remembered
    wrong = record | {"org_code": "44010000"}
    [found] = validator.validate("emr_patient_info", wrong)
    assert (found.field, found.rule) == ("org_code", "code_format")
