"""MemoryIntake, the fake the source tests poll into, behaves like the store's intake."""

from __future__ import annotations

import pytest

from hisbridge.dictionary import Validator
from hisbridge.errors import OperationRefused, Transient
from hisbridge.testing import MemoryIntake

DEPT = {"dept_code": "1001", "dept_name": "呼吸内科", "target_dept_code": "A03.01"}
USER = {"id": "D0001-1001", "user_name": "张医生", "org_code": "440100001", "dept_code": "A03.01",
        "create_time": "2021-03-01 09:00:00", "login_name": "d0001"}


def test_new_unchanged_changed_and_deleted() -> None:
    intake = MemoryIntake()
    assert intake.accept("base_user", [USER]).accepted == 1
    assert intake.accept("base_user", [dict(USER)]).unchanged == 1
    assert intake.accept("base_user", [{**USER, "tel": "13800138000"}]).accepted == 1
    assert intake.current["base_user"]["D0001-1001"]["tel"] == "13800138000"
    assert intake.accept("base_user", [{"id": "D0001-1001"}], op="delete").accepted == 1
    assert intake.keys("base_user") == set() and intake.deleted["base_user"] == {"D0001-1001"}
    assert intake.accept("baseUser", [USER]).accepted == 1          # back again, camel name
    assert intake.calls["base_user"] == 5


def test_rejects_carry_index_key_and_violations() -> None:
    intake = MemoryIntake(validator=Validator("strict"))
    result = intake.accept("base_user", [USER, {**USER, "id": "X", "dept_code": "1001"}, {}])
    assert result.accepted == 1
    assert [(r.index, r.record_id) for r in result.rejected] == [(1, "X"), (2, None)]
    assert {v.field for v in result.rejected[0].violations} == {"dept_code"}
    assert len(intake.rejected["base_user"]) == 2


def test_refusals_and_failures() -> None:
    intake = MemoryIntake(fail_tables={"base_user"})
    with pytest.raises(OperationRefused):
        intake.accept("base_dept", [DEPT], op="delete")
    with pytest.raises(Transient):
        intake.accept("base_user", [USER])
    assert intake.count("base_user") == 0
