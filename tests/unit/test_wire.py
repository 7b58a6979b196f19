"""The wire format: key styles, value formatting, and the round trip wire -> record -> wire."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import KEY_STYLES, detect_key_style, from_wire, to_wire
from hisbridge.testing.documents import valid_record

D = load_dictionary()


@pytest.mark.parametrize("style", KEY_STYLES)
@pytest.mark.parametrize("table", list(D), ids=lambda t: t.name)
def test_round_trip_every_table_every_style(table: object, style: str) -> None:
    record = valid_record(table, random.Random(5), full=True)  # type: ignore[arg-type]
    body = to_wire(table, record, style)  # type: ignore[arg-type]
    back = from_wire(table, body)  # type: ignore[arg-type]
    assert back.unknown == []
    assert back.key_style == style
    assert to_wire(table, back.record, style) == body  # type: ignore[arg-type]
    assert back.record == record


@settings(max_examples=150, deadline=None)
@given(table=st.sampled_from(list(D)), style=st.sampled_from(KEY_STYLES), data=st.data())
def test_round_trip_property(table: object, style: str, data: st.DataObject) -> None:
    names = [f.name for f in table.fields]  # type: ignore[attr-defined]
    record = data.draw(st.dictionaries(st.sampled_from(names), st.text(min_size=1, max_size=30),
                                       min_size=1, max_size=10))
    body = to_wire(table, record, style)  # type: ignore[arg-type]
    assert to_wire(table, from_wire(table, body).record, style) == body  # type: ignore[arg-type]


def test_values_are_formatted_and_nulls_omitted() -> None:
    t = D.table("emr_patient_info")
    body = to_wire(t, {"id": "p1", "birth_date": datetime(1990, 5, 17, 3, 4, 5),
                       "operation_time": datetime(2026, 3, 1, 8, 30), "tel": None,
                       "workunit": "", "nation_code": 1, "marital_status_code": Decimal("2")})
    assert body == {"id": "p1", "birthDate": "1990-05-17", "operationTime": "2026-03-01 08:30:00",
                    "nationCode": "1", "maritalStatusCode": "2"}
    assert to_wire(t, {"birth_date": date(2001, 1, 2)}, "upper") == {"BIRTH_DATE": "2001-01-02"}


def test_reading_mixed_spellings_like_the_front_end() -> None:
    t = D.table("emr_patient_info")
    back = from_wire(t, {"ID": "1", "workUnit": "某公司", "patient_name": "", "PATIENTNAME": None,
                         "strange": "x"})
    assert back.record == {"id": "1", "workunit": "某公司"}
    assert back.unknown == ["strange"]


@pytest.mark.parametrize(("keys", "style"), [
    (["id", "patientId"], "camel"), (["id", "patient_id"], "snake"), (["ID", "PATIENT_ID"], "upper"),
    (["id"], "camel"),
])
def test_detect_key_style(keys: list[str], style: str) -> None:
    assert detect_key_style(keys) == style



def test_from_wire_reads_each_of_two_equal_specs_with_its_own_index() -> None:
    """The normalised-key index is cached per spec object (bench/hotpath.py: hashing was 12%)."""
    import dataclasses

    spec = load_dictionary().table("emr_patient_info")
    copy = dataclasses.replace(spec)
    first, second = spec.fields[0], spec.fields[1]
    body = {first.upper: "v1", second.camel: "v2", "noSuchField": "x"}
    for table in (spec, copy, spec):
        found = from_wire(table, body)
        assert found.record == {first.name: "v1", second.name: "v2"}
        assert found.unknown == ["noSuchField"]
