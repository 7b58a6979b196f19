"""Who may use a grant (``consent.viewer_scope``): a doctor of another department, or another
doctor, is refused according to the scope, the doctor's department is taken from base_user
when the gateway has it, and every refusal is in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.sharing.consent.scope import ScopeCheck, out_of_scope
from hisbridge.testing.documents import valid_record
from hisbridge.testing.gdhealth_rig import GATEWAY, GdHealthRig, build_rig

GRANT = dict(grant_doctor="D0001", grant_dept="0301", encounter_dept="0301")


@pytest.mark.parametrize(("scope", "viewer", "viewer_dept", "refused"), [
    ("institution", "D0009", "0402", None),
    ("department", "D0002", "0301", None),
    ("department", "D0009", "0402", "OTHER_DEPARTMENT"),
    ("department", "D0009", "", "OTHER_DEPARTMENT"),
    ("department", "D0001", "0402", None),  # the doctor who asked keeps the grant
    ("doctor", "D0002", "0301", "OTHER_DOCTOR"),
    ("doctor", "D0001", "0301", None),
])
def test_the_scope_rule(scope: str, viewer: str, viewer_dept: str, refused: str | None) -> None:
    check = ScopeCheck(**GRANT, viewer=viewer, viewer_dept=viewer_dept)
    assert out_of_scope(scope, check) == refused  # type: ignore[arg-type]


def test_an_unknown_encounter_department_falls_back_to_the_grants() -> None:
    check = ScopeCheck("D0001", "0301", "", "D0002", "0301")
    assert out_of_scope("department", check) is None
    assert out_of_scope("department", ScopeCheck("D0001", "", "", "D0002", "")) == "OTHER_DEPARTMENT"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    """Encounter MZ1 of department 0301, granted to D0001 of 0301 by SMS code."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=clock)
    await built.register("P1", "MZ1", dept_code="0301")
    api = _api(built, "D0001", "0301")
    await built.gateway.post(api.format("apply"), json={"channel": "SMS"})
    code = built.platform.sms_outbox[-1]["code"]
    granted = await built.gateway.post(api.format("sms"), json={"code": code})
    assert granted.json()["statusText"] == "已授权"
    yield built
    await built.aclose()


def _api(rig: GdHealthRig, user_id: str, dept: str) -> str:
    url = rig.url("P1", "OUTPATIENT", "MZ1", user_id=user_id, dept_code=dept).removeprefix(GATEWAY)
    return url.replace("/ws/shared?", "/ws/shared/api/{}?")


def _refusals(rig: GdHealthRig) -> list[tuple[str, str, str]]:
    return [(e.action, e.actor_id, e.outcome) for e in rig.services.audit.log.entries()
            if e.outcome.startswith("refused:OTHER_")]


async def test_department_scope_refuses_another_department_and_audits_it(rig: GdHealthRig) -> None:
    same = await rig.gateway.get(_api(rig, "D0002", "0301").format("timeline"))
    assert same.status_code == 200 and "既往诊疗" in same.text
    other = await rig.gateway.get(_api(rig, "D0009", "0402").format("timeline"))
    assert other.status_code == 403 and "其他科室" in other.text and "既往诊疗" not in other.text
    doc_id = rig.platform.documents[rig.resident(0).person_key][0].doc_id
    detail = await rig.gateway.get(_api(rig, "D0009", "0402").format(f"doc/{doc_id}"))
    assert detail.status_code == 403
    assert _refusals(rig) == [("RECORD_INDEX", "D0009", "refused:OTHER_DEPARTMENT"),
                              ("RECORD_VIEW", "D0009", "refused:OTHER_DEPARTMENT")]


async def test_the_department_comes_from_base_user_not_the_link(rig: GdHealthRig) -> None:
    doctor = valid_record("base_user", id="D0009", dept_code="0402")
    pushed = await rig.gateway.post("/api/v1/events/base_user", json=doctor)
    assert pushed.json()["accepted"] == 1
    claimed = await rig.gateway.get(_api(rig, "D0009", "0301").format("timeline"))
    assert claimed.status_code == 403 and "其他科室" in claimed.text


async def test_doctor_scope_and_institution_scope(rig: GdHealthRig) -> None:
    rig.services.documents.scope = "doctor"
    colleague = await rig.gateway.get(_api(rig, "D0002", "0301").format("timeline"))
    assert colleague.status_code == 403 and "仅申请医生可调阅" in colleague.text
    own = await rig.gateway.get(_api(rig, "D0001", "0301").format("timeline"))
    assert own.status_code == 200
    rig.services.documents.scope = "institution"
    anyone = await rig.gateway.get(_api(rig, "D0009", "0402").format("timeline"))
    assert anyone.status_code == 200
    assert _refusals(rig) == [("RECORD_INDEX", "D0002", "refused:OTHER_DOCTOR")]
