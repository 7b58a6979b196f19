"""What the patient reads names the hospital, and a booking request ends when its slot starts.

The SMS, the 粤健通 message and the pushed authorization code all carry ``gdhealth.org_name``
(never the institution code); without a name no request is sent at all. A booking request for a
12-06 09:00 slot expires at 12-06 09:00, at the gateway and at the platform.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

NAME = "示例市第三人民医院"
OPERATOR = {"userId": "D0001", "name": "张医生", "deptCode": "0301", "deptName": "心内科门诊"}
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=CHINA_TZ)
SLOT = datetime(2026, 12, 6, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=ManualClock(NOW), org_name=NAME)
    yield built
    await built.aclose()


def patient(rig: GdHealthRig, index: int = 0) -> dict[str, Any]:
    person = rig.resident(index)
    return {"hisPatientId": f"P{index:05d}", "idNo": person.id_no, "name": person.name}


async def apply(rig: GdHealthRig, channel: str, *, expect: int = 201) -> dict[str, Any]:
    body = {"patient": patient(rig), "channel": channel, "operator": OPERATOR,
            "encounter": {"type": "outpatient", "id": "MZ1", "visitDate": "2026-12-04"}}
    reply = await rig.gateway.post("/api/v1/consents", json=body)
    assert reply.status_code == expect, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def test_sms_names_the_hospital_not_its_code(rig: GdHealthRig) -> None:
    consent = await apply(rig, "SMS")
    sms = (await rig.sim.get("/sim/sms", params={"authId": consent["authId"]})).json()
    assert f"{NAME}心内科门诊申请调阅您的健康档案" in sms["text"]
    assert rig.settings.gdhealth.org_code not in sms["text"]


async def test_sms_without_a_department_names_the_hospital(rig: GdHealthRig) -> None:
    body = {"patient": patient(rig), "channel": "SMS", "operator": {"userId": "D0002"},
            "encounter": {"type": "outpatient", "id": "MZ2", "visitDate": "2026-12-04"}}
    consent = (await rig.gateway.post("/api/v1/consents", json=body)).json()
    sms = (await rig.sim.get("/sim/sms", params={"authId": consent["authId"]})).json()
    assert f"{NAME}申请调阅您的健康档案" in sms["text"]
    assert rig.settings.gdhealth.org_code not in sms["text"]


@pytest.mark.parametrize(("channel", "marker"), [("APP", "【粤健通】"), ("AUTH_CODE", "授权码 GD-")])
async def test_app_message_and_pushed_code_name_the_hospital(
    rig: GdHealthRig, channel: str, marker: str
) -> None:
    consent = await apply(rig, channel)
    notices = (await rig.sim.get("/sim/notices", params={"authId": consent["authId"]})).json()
    assert len(notices) == 1 and marker in notices[0]["text"]
    assert NAME in notices[0]["text"] and rig.settings.gdhealth.org_code not in notices[0]["text"]


async def test_without_a_name_no_request_reaches_the_patient(tmp_path: Path) -> None:
    rig = build_rig(f"sqlite:///{tmp_path / 'n.db'}", clock=ManualClock(NOW), org_name="")
    try:
        reply = await rig.gateway.post("/api/v1/consents", json={
            "patient": patient(rig), "channel": "SMS", "operator": OPERATOR,
            "encounter": {"type": "outpatient", "id": "MZ1", "visitDate": "2026-12-04"}})
        assert reply.status_code == 503 and reply.json()["code"] == "ORG_NAME_MISSING"
        assert "gdhealth.org_name" in reply.json()["hint"]
        assert rig.platform.sms_outbox == [] and rig.platform.auths == {}
    finally:
        await rig.aclose()


def test_missing_name_is_a_readiness_problem() -> None:
    assert GdHealthSettings().problems() and "gdhealth.org_name" in GdHealthSettings().problems()[0]
    assert GdHealthSettings(org_name=NAME).problems() == []
    assert GdHealthSettings(enabled=False).problems() == []


async def _book(rig: GdHealthRig) -> dict[str, Any]:
    booking = {"bookingId": "YY1206", "patient": patient(rig, 1), "visitDate": "2026-12-06",
               "slotStart": SLOT.isoformat(), "deptCode": "0301"}
    reply = await rig.gateway.post("/api/v1/bookings", json=booking)
    assert reply.status_code == 201, reply.text
    return reply.json()["consent"]  # type: ignore[no-any-return]


async def test_booking_request_expires_when_the_slot_starts(rig: GdHealthRig) -> None:
    consent = await _book(rig)
    assert datetime.fromisoformat(consent["requestExpiresAt"]) == SLOT
    assert rig.platform.auths[consent["authId"]].request_expires_at == SLOT
    rig.clock.advance((SLOT - NOW - timedelta(minutes=1)).total_seconds())  # type: ignore[attr-defined]
    assert (await rig.gateway.get(f"/api/v1/consents/{consent['id']}")).json()["status"] == "PENDING"
    rig.clock.advance(120)  # type: ignore[attr-defined]
    after = (await rig.gateway.get(f"/api/v1/consents/{consent['id']}")).json()
    assert after["status"] == "EXPIRED"
    late = await rig.sim.post(f"/sim/authorizations/{consent['authId']}/approve")
    assert late.status_code == 409  # the patient can no longer approve it


async def test_gateway_ends_the_request_even_if_the_platform_keeps_it(rig: GdHealthRig) -> None:
    consent = await _book(rig)
    auth = rig.platform.auths[consent["authId"]]
    auth.request_expires_at = SLOT + timedelta(days=1)  # a platform that ignores our deadline
    rig.clock.advance((SLOT - NOW + timedelta(minutes=1)).total_seconds())  # type: ignore[attr-defined]
    after = (await rig.gateway.get(f"/api/v1/consents/{consent['id']}")).json()
    assert after["status"] == "EXPIRED" and after["reason"] == "REQUEST_TIMEOUT"
    assert auth.status == "CANCELLED"  # withdrawn at the platform too
    actions = [e.action for e in rig.services.audit.log.entries()]
    assert actions.count("CONSENT_EXPIRED") == 1


async def test_end_of_slot_day_is_configurable(tmp_path: Path) -> None:
    rig = build_rig(f"sqlite:///{tmp_path / 'd.db'}", clock=ManualClock(NOW), org_name=NAME,
                    windows={"booking_request_until": "end_of_slot_day"})
    try:
        consent = await _book(rig)
        expected = datetime(2026, 12, 6, 23, 59, 59, tzinfo=CHINA_TZ)
        assert datetime.fromisoformat(consent["requestExpiresAt"]) == expected
    finally:
        await rig.aclose()
