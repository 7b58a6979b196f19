"""The Intake port: the in-memory fake and the store (SQLite, PostgreSQL) answer alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hisbridge.dictionary import Validator
from hisbridge.errors import OperationRefused, UnknownTable
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.ports import Intake
from hisbridge.store.schema.outbox import outbox, quarantine, records
from hisbridge.testing import InMemoryIntake, sample_record

pytestmark = pytest.mark.services


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def intake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Intake]:
    if request.param == "memory":
        yield InMemoryIntake(Validator("lenient"))
        return
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    yield StoreIntake(engine, Validator("lenient"))
    engine.dispose()


def rows(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [sample_record("emr_patient_info", f"p{i}", serial=i, **extra) for i in range(n)]


def test_new_changed_and_unchanged_records(intake: Intake) -> None:
    first = intake.accept("emr_patient_info", rows(5), source="t")
    assert (first.accepted, first.unchanged, first.rejected) == (5, 0, [])
    again = intake.accept("emr_patient_info", rows(5), source="t")
    assert (again.accepted, again.unchanged) == (0, 5)
    changed = intake.accept("emr_patient_info", rows(2, tel="13800000000") + rows(5)[2:])
    assert (changed.accepted, changed.unchanged) == (2, 3)


def test_key_style_and_value_types_do_not_change_the_hash(intake: Intake) -> None:
    record = sample_record("emr_patient_info", "p1")
    camel = {"id": "p1", "patientName": record["patient_name"],
             **{k: v for k, v in record.items() if k not in ("id", "patient_name")}}
    assert intake.accept("emr_patient_info", [record]).accepted == 1
    assert intake.accept("emrPatientInfo", [camel]).unchanged == 1
    assert intake.accept("emr_patient_info", [{**record, "tel": ""}]).accepted == 1


def test_invalid_records_are_rejected_with_violations_and_the_rest_accepted(
        intake: Intake) -> None:
    bad = {**sample_record("emr_patient_info", "bad"), "operation_time": "31/02/2026"}
    nul = sample_record("base_user", "u\x00")  # PostgreSQL text cannot hold NUL
    assert intake.accept("base_user", [nul]).rejected[0].violations[0].rule == "control_chars"
    result = intake.accept("emr_patient_info", [*rows(2), bad, 42])
    assert result.accepted == 2
    assert [(r.index, r.record_id) for r in result.rejected] == [(2, "bad"), (3, None)]
    rules = {v.rule for r in result.rejected for v in r.violations}
    assert {"datetime", "not_an_object"} <= rules


def test_warnings_do_not_block(intake: Intake) -> None:
    odd = sample_record("emr_patient_info", "p1", nation_code="ZZ")  # not in the code set
    assert intake.accept("emr_patient_info", [odd]).accepted == 1


def test_deletes_need_only_the_key_and_base_dept_refuses_them(intake: Intake) -> None:
    intake.accept("emr_patient_info", rows(1))
    gone = intake.accept("emr_patient_info", [{"id": "p0"}, {"tel": "1"}], op="delete")
    assert gone.accepted == 1 and gone.rejected[0].index == 1
    assert intake.accept("emr_patient_info", [{"id": "p0"}], op="delete").unchanged == 1
    with pytest.raises(OperationRefused):
        intake.accept("base_dept", [{"dept_code": "D01"}], op="delete")
    with pytest.raises(UnknownTable):
        intake.accept("emr_nothing", rows(1))


def test_the_store_writes_versions_entries_and_quarantine_together(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    intake = StoreIntake(engine, Validator("strict"))
    intake.accept("emr_patient_info", [*rows(3), {"id": "x"}], source="his")
    intake.accept("emr_patient_info", rows(1, tel="13900000000"), source="his")
    with engine.connect() as conn:
        versions = conn.execute(select(records.c.record_id, records.c.version)
                                .order_by(records.c.record_id, records.c.version)).all()
        entries = conn.execute(select(func.count()).select_from(outbox)).scalar()
        parked = conn.execute(select(quarantine.c.record_id, quarantine.c.violations)).all()
    assert [tuple(v) for v in versions] == [("p0", 1), ("p0", 2), ("p1", 1), ("p2", 1)]
    assert entries == 4
    assert parked[0].record_id == "x" and "patient_name" in parked[0].violations
    engine.dispose()
