"""What the gateway keeps of a visit record for the 粤健通 hooks (``EVENT_FIELDS``) is enough:
the same encounter event comes out of the kept fields as out of the whole record."""

from __future__ import annotations

import pytest

from hisbridge.sharing import group
from hisbridge.sharing.consent.encounters import EVENT_FIELDS, encounter_event
from hisbridge.testing import sample_record

VISITS = {
    "emr_activity_info": {"activity_type_code": "1", "activity_time": "2026-03-02 08:30:00"},
    "emr_admission_info": {"admission_date": "2026-03-02 09:00:00"},
    "emr_discharge_info": {"admission_date": "2026-03-01 09:00:00",
                           "discharge_date": "2026-03-02 10:00:00"},
}


@pytest.mark.parametrize("table", sorted(VISITS))
def test_the_kept_fields_give_the_same_event(table: str) -> None:
    record = {**sample_record(table, "v1", serial=1), **VISITS[table], "serial_number": "S1",
              "id_card": "440106199001011234", "patient_name": "张三", "dept_code": "D01"}
    kept = {k: v for k, v in record.items() if k in EVENT_FIELDS}
    event = encounter_event(table, record)
    assert event is not None and encounter_event(table, kept) == event
    assert len(kept) < len(record)  # the point: a backlog holds a few fields per visit


def test_the_group_routes_by_a_kept_field() -> None:
    assert group._ORG_FIELD in EVENT_FIELDS
