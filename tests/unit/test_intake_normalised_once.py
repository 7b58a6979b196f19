"""Intake normalises a record at most once: not at all when the validator vouched for its fields.

Before, ``check_record`` normalised every valid record to read its key and ``prepare_records``
normalised it again to store it (~40 % of intake time, issue 19).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.store import intake as store_intake
from hisbridge.store.intake import normalize_record, prepare_records
from hisbridge.store.ports import AcceptResult
from hisbridge.testing import sample_record

D = load_dictionary()
SPEC = D.table("emr_patient_info")
VALIDATORS = (Validator("lenient"), Validator("strict"))


@pytest.fixture
def normalised(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The ids of the records ``normalize_record`` was called for."""
    seen: list[str] = []

    def counting(spec: Any, raw: Mapping[str, Any]) -> dict[str, str]:
        seen.append(str(raw.get("id")))
        return normalize_record(spec, raw)

    monkeypatch.setattr(store_intake, "normalize_record", counting)
    yield seen


def camel(record: Mapping[str, Any]) -> dict[str, Any]:
    return {SPEC.field(k).camel: v for k, v in record.items()}  # type: ignore[union-attr]


def test_clean_records_are_never_normalised_and_others_once(normalised: list[str]) -> None:
    clean = [sample_record(SPEC, f"p{i}", serial=i) for i in range(20)]
    styled = [camel(sample_record(SPEC, f"c{i}", serial=i)) for i in range(5)]
    result = AcceptResult()
    prepared, parked = prepare_records(VALIDATORS[0], SPEC, [*clean, *styled], "upsert", result)
    assert len(prepared) == 25 and parked == []
    assert sorted(normalised) == sorted(f"c{i}" for i in range(5))


def test_deletes_are_normalised_once(normalised: list[str]) -> None:
    prepare_records(VALIDATORS[0], SPEC, [{"id": "p1"}, {"id": "p2"}], "delete", AcceptResult())
    assert normalised == ["p1", "p2"]


@settings(max_examples=300, deadline=None)
@given(table=st.sampled_from([t.name for t in D]), seed=st.integers(0, 10**6),
       blank=st.sampled_from([None, "", "x"]))
def test_vouched_fields_are_the_stored_form(table: str, seed: int, blank: str | None) -> None:
    spec = D.table(table)
    rng = random.Random(seed)
    record: dict[str, Any] = sample_record(spec, f"r{seed}", serial=seed)
    record[rng.choice([f.name for f in spec.fields])] = blank
    for validator in VALIDATORS:
        _, fields = validator.check(table, record)
        if fields is not None:
            assert dict(fields) == normalize_record(spec, record)
            assert list(fields) == list(normalize_record(spec, record))
