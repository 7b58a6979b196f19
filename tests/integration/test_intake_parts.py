"""A big batch is validated, encoded and written in parts, all in the batch's one transaction
(SQLite, PostgreSQL): the peak memory of a poll is one part's bodies, not the whole batch's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hisbridge.dictionary import Validator
from hisbridge.store import intake as intake_module
from hisbridge.store.intake import StoreIntake
from hisbridge.store.schema.outbox import outbox, records
from hisbridge.testing import sample_record

TABLE = "emr_patient_info"


def _rows() -> list[Any]:
    batch: list[Any] = [sample_record(TABLE, f"p{i}", serial=i) for i in range(7)]
    batch[5] = {**batch[5], "operation_time": "31/02/2026"}  # rejected, in the second part
    batch.append(sample_record(TABLE, "p0", serial=0, tel="13900000000"))  # p0 again, changed
    return batch


def test_parts_of_a_batch_are_prepared_one_at_a_time(
        store_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    prepare = intake_module.prepare_records

    def counting(*args: Any, **kwargs: Any) -> Any:
        sizes.append(len(args[2]))
        return prepare(*args, **kwargs)

    monkeypatch.setattr(intake_module, "_PART", 3)
    monkeypatch.setattr(intake_module, "prepare_records", counting)
    result = StoreIntake(store_engine, Validator("lenient")).accept(TABLE, _rows())
    assert sizes == [3, 3, 2]
    assert result.accepted == 7 and result.unchanged == 0
    assert [(r.index, r.record_id) for r in result.rejected] == [(5, "p5")]
    with store_engine.connect() as conn:
        p0 = conn.execute(select(records.c.version).where(records.c.record_id == "p0")
                          .order_by(records.c.version)).scalars().all()
    assert p0 == [1, 2]  # the later part saw the earlier part's version


def test_a_failing_part_leaves_nothing_of_the_batch(
        store_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    prepare = intake_module.prepare_records

    def failing_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the third part fails")
        return prepare(*args, **kwargs)

    monkeypatch.setattr(intake_module, "_PART", 3)
    monkeypatch.setattr(intake_module, "prepare_records", failing_third)
    with pytest.raises(RuntimeError):
        StoreIntake(store_engine, Validator("lenient")).accept(TABLE, _rows())
    with store_engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(records)).scalar()
        queued = conn.execute(select(func.count()).select_from(outbox)).scalar()
    assert (stored, queued) == (0, 0)
