"""Every authorization channel against the simulator, through the gateway's HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

OPERATOR = {"userId": "D0001", "name": "张医生", "deptCode": "0301", "deptName": "心内科门诊"}
WHO = {"userId": "D0001", "userName": "张医生", "deptCode": "0301"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=clock)
    yield built
    await built.aclose()


def patient(rig: GdHealthRig, index: int = 0) -> dict[str, Any]:
    person = rig.resident(index)
    return {"hisPatientId": f"P{index:05d}", "idNo": person.id_no, "name": person.name}


async def apply(
    rig: GdHealthRig,
    channel: str,
    *,
    index: int = 0,
    kind: str = "outpatient",
    encounter_id: str = "MZ0001",
    expect: int = 201,
) -> dict[str, Any]:
    body = {
        "patient": patient(rig, index),
        "channel": channel,
        "operator": OPERATOR,
        "encounter": {
            "type": kind,
            "id": encounter_id,
            "visitDate": "2026-03-02",
            "admittedAt": "2026-03-02T08:30:00+08:00",
        },
    }
    reply = await rig.gateway.post("/api/v1/consents", json=body)
    assert reply.status_code == expect, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def status(rig: GdHealthRig, consent_id: str) -> str:
    reply = await rig.gateway.get(f"/api/v1/consents/{consent_id}")
    assert reply.status_code == 200, reply.text
    return str(reply.json()["status"])


async def index(rig: GdHealthRig, consent_id: str, **params: str) -> Any:
    return await rig.gateway.get(f"/api/v1/shared/{consent_id}/index", params={**WHO, **params})


async def test_app_channel_approved_by_patient_then_records(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    assert consent["status"] == "PENDING" and consent["channelInfo"] == {"pushed": True}
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")  # delivers the queued callback to the gateway
    assert rig.platform.callbacks[-1]["delivered"] is True
    stored = rig.services.consents.repo.get(consent["id"])
    assert stored is not None and stored.status == "GRANTED"  # via callback, no polling
    reply = await index(rig, consent["id"])
    assert reply.status_code == 200
    items = reply.json()["items"]
    assert {i["category"] for i in items} == {
        "VISIT",
        "LAB",
        "EXAM",
        "PHYSICAL_EXAM",
        "BLOOD",
        "VACCINATION",
    }
    assert all(i["orgCode"] != rig.settings.gdhealth.org_code for i in items)  # own org hidden
    lab = next(i for i in items if i["category"] == "LAB")
    doc = await rig.gateway.get(f"/api/v1/shared/{consent['id']}/documents/{lab['docId']}", params=WHO)
    assert doc.status_code == 200
    rows = doc.json()["structured"]["items"]
    assert rows and all({"referenceRange", "abnormalFlag", "unit"} <= set(r) for r in rows)


async def test_index_filters_by_category_and_date(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    labs = (await index(rig, consent["id"], category="LAB")).json()["items"]
    assert labs and {i["category"] for i in labs} == {"LAB"}
    recent = (await index(rig, consent["id"], **{"from": "2025-06-01"})).json()["items"]
    assert all(i["effectiveTime"] >= "2025-06-01" for i in recent)
    bad = await index(rig, consent["id"], category="XRAY")
    assert bad.status_code == 422 and "XRAY" in bad.json()["error"]


async def test_sms_code_entered_right(rig: GdHealthRig) -> None:
    consent = await apply(rig, "SMS")
    assert consent["channelInfo"]["smsSent"] is True
    assert "****" in consent["channelInfo"]["phoneMasked"]
    sms = (await rig.sim.get("/sim/sms", params={"authId": consent["authId"]})).json()
    assert sms["code"] in sms["text"]
    reply = await rig.gateway.post(
        f"/api/v1/consents/{consent['id']}/sms-code",
        json={"code": sms["code"], "operator": OPERATOR},
    )
    assert reply.status_code == 200 and reply.json()["status"] == "GRANTED"
    assert reply.json()["validTo"].startswith("2026-03-03T09:00")  # 24 h minimum window


async def test_sms_code_wrong_is_counted_then_locked(rig: GdHealthRig) -> None:
    consent = await apply(rig, "SMS")
    url = f"/api/v1/consents/{consent['id']}/sms-code"
    first = await rig.gateway.post(url, json={"code": "000000", "operator": OPERATOR})
    assert first.status_code == 422 and first.json()["remaining"] == 4
    for _ in range(3):
        await rig.gateway.post(url, json={"code": "000000", "operator": OPERATOR})
    last = await rig.gateway.post(url, json={"code": "000000", "operator": OPERATOR})
    assert last.status_code == 429 and last.json()["code"] == "SMS_LOCKED"
    assert await status(rig, consent["id"]) == "CANCELLED"
    code = rig.platform.sms_outbox[-1]["code"]
    again = await rig.gateway.post(url, json={"code": code, "operator": OPERATOR})
    assert again.status_code == 409  # the locked request cannot be granted any more
    fresh = await apply(rig, "APP")  # another channel is still possible
    assert fresh["status"] == "PENDING" and fresh["id"] != consent["id"]


async def test_third_party_code_redeemed(rig: GdHealthRig) -> None:
    person = rig.resident(1)
    code = (await rig.sim.post("/sim/auth-codes", json={"idNo": person.id_no})).json()["authCode"]
    body = {
        "authCode": code,
        "patient": patient(rig, 1),
        "operator": OPERATOR,
        "encounter": {"type": "emergency", "id": "JZ0001", "visitDate": "2026-03-02"},
    }
    reply = await rig.gateway.post("/api/v1/consents/redeem", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "GRANTED" and reply.json()["channel"] == "AUTH_CODE"
    reused = await rig.gateway.post(
        "/api/v1/consents/redeem", json={**body, "encounter": {"type": "emergency", "id": "JZ2"}}
    )
    assert reused.status_code == 422 and reused.json()["platformCode"] == "3005"


async def test_denial_gives_403_with_reason(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    rig.platform.patient_decides(consent["authId"], "deny")
    assert await status(rig, consent["id"]) == "DENIED"
    reply = await index(rig, consent["id"])
    assert reply.status_code == 403
    assert reply.json()["error"] == "患者拒绝授权" and "items" not in reply.json()


async def test_pending_request_expires(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    assert isinstance(rig.clock, ManualClock)
    rig.clock.advance(minutes=31)
    assert await status(rig, consent["id"]) == "EXPIRED"
    assert (await index(rig, consent["id"])).status_code == 403


async def test_grant_expires_at_end_of_window(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    assert isinstance(rig.clock, ManualClock)
    rig.clock.advance(hours=25)
    reply = await index(rig, consent["id"])
    assert reply.status_code == 403 and reply.json()["status"] == "EXPIRED"


async def test_revocation_mid_viewing_stops_next_fetch(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    items = (await index(rig, consent["id"])).json()["items"]
    url = f"/api/v1/shared/{consent['id']}/documents/{items[0]['docId']}"
    assert (await rig.gateway.get(url, params=WHO)).status_code == 200  # now cached
    assert len(rig.services.documents.cache) == 1
    await rig.sim.post(f"/sim/authorizations/{consent['authId']}/revoke")
    assert len(rig.services.documents.cache) == 0  # purged on the callback, before any fetch
    reply = await rig.gateway.get(url, params=WHO)
    assert reply.status_code == 403 and reply.json()["error"] == "患者已撤销授权"
    assert len(rig.services.documents.cache) == 0


async def test_revocation_without_callback_still_stops_cached_fetch(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    items = (await index(rig, consent["id"])).json()["items"]
    url = f"/api/v1/shared/{consent['id']}/documents/{items[0]['docId']}"
    assert (await rig.gateway.get(url, params=WHO)).status_code == 200
    rig.platform.auths[consent["authId"]].callback_url = None  # the callback gets lost
    rig.platform.patient_decides(consent["authId"], "revoke")
    reply = await rig.gateway.get(url, params=WHO)
    assert reply.status_code == 403 and reply.json()["status"] == "REVOKED"


async def test_one_open_authorization_per_encounter(rig: GdHealthRig) -> None:
    first = await apply(rig, "APP")
    second = await apply(rig, "SMS", expect=200)
    assert second["id"] == first["id"] and second["existing"] is True
    other = await apply(rig, "APP", encounter_id="MZ0002")
    assert other["id"] != first["id"]


async def test_booking_approved_then_used_at_registration_and_cancelled(rig: GdHealthRig) -> None:
    booking = {
        "bookingId": "YY0001",
        "patient": patient(rig, 2),
        "visitDate": "2026-03-05",
        "slotStart": "2026-03-05T09:30:00+08:00",
        "deptCode": "0301",
    }
    reply = await rig.gateway.post("/api/v1/bookings", json=booking)
    assert reply.status_code == 201, reply.text
    consent = reply.json()["consent"]
    assert consent["channel"] == "BOOKING" and consent["status"] == "PENDING"
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    event = {
        "event": "REGISTERED",
        "patient": patient(rig, 2),
        "encounter": {
            "type": "outpatient",
            "id": "MZ0777",
            "visitDate": "2026-03-05",
            "appointmentId": "YY0001",
        },
    }
    assert (await rig.gateway.post("/api/v1/encounters", json=event)).status_code == 202
    found = (
        await rig.gateway.get(
            "/api/v1/consents",
            params={
                "hisPatientId": "P00002",
                "encounterType": "OUTPATIENT",
                "encounterId": "MZ0777",
            },
        )
    ).json()
    assert found["consent"]["id"] == consent["id"] and found["consent"]["status"] == "GRANTED"
    assert found["consent"]["validTo"].startswith("2026-03-06T23:59:59")  # visit day + 1
    cancel = await rig.gateway.post("/api/v1/bookings", json={"bookingId": "YY0001", "status": "CANCELLED"})
    assert cancel.json()["consent"]["status"] == "CLOSED"


async def test_cancelled_booking_cancels_pending_request(rig: GdHealthRig) -> None:
    booking = {"bookingId": "YY0002", "patient": patient(rig, 0), "visitDate": "2026-03-05"}
    consent = (await rig.gateway.post("/api/v1/bookings", json=booking)).json()["consent"]
    reply = await rig.gateway.post("/api/v1/bookings", json={"bookingId": "YY0002", "status": "CANCELLED"})
    assert reply.json()["consent"]["status"] == "CANCELLED"
    assert rig.platform.auths[consent["authId"]].status == "CANCELLED"


async def test_channel_unavailable_and_unknown_person(rig: GdHealthRig) -> None:
    last = len(rig.platform.residents) - 1  # has neither phone nor 粤健通
    sms = await apply(rig, "SMS", index=last, expect=422)
    assert sms["platformCode"] == "2004" and "短信" in sms["error"]
    body = {
        "patient": {"hisPatientId": "PX", "idNo": "11010119900307663X", "name": "某某"},
        "channel": "APP",
        "operator": OPERATOR,
        "encounter": {"type": "outpatient", "id": "MZ9"},
    }
    reply = await rig.gateway.post("/api/v1/consents", json=body)
    assert reply.status_code == 422 and reply.json()["platformCode"] == "2001"


async def test_refused_views_are_audited_with_who_and_whose(rig: GdHealthRig) -> None:
    consent = await apply(rig, "APP")
    assert (await index(rig, consent["id"])).status_code == 403
    refused = [e for e in rig.services.audit.log.entries() if e.action == "RECORD_INDEX"]
    assert len(refused) == 1 and refused[0].outcome == "refused:NOT_GRANTED"
    entry = refused[0]
    assert (entry.actor_id, entry.actor_name, entry.dept_code) == ("D0001", "张医生", "0301")
    assert entry.patient_masked.startswith(rig.resident(0).name[0]) and "*" in entry.patient_masked
    assert rig.resident(0).id_no not in entry.patient_masked and entry.patient_key
    assert entry.client_addr  # the caller's address is recorded


async def test_api_requires_the_bearer_token_when_set(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 't.db'}", clock=clock)
    try:
        from pydantic import SecretStr

        built.settings.push.token = SecretStr("t0ken")
        body = {
            "patient": patient(built),
            "channel": "APP",
            "operator": OPERATOR,
            "encounter": {"type": "outpatient", "id": "MZ1"},
        }
        denied = await built.gateway.post("/api/v1/consents", json=body)
        assert denied.status_code == 401 and denied.json()["code"] == "UNAUTHORIZED"
        allowed = await built.gateway.post(
            "/api/v1/consents", json=body, headers={"Authorization": "Bearer t0ken"}
        )
        assert allowed.status_code == 201
    finally:
        await built.aclose()


async def test_platform_pushed_code_grants_the_pending_request(rig: GdHealthRig) -> None:
    consent = await apply(rig, "AUTH_CODE")
    assert consent["status"] == "PENDING" and consent["channelInfo"] == {"codePushed": True}
    pushed = (await rig.sim.get("/sim/auth-codes", params={"authId": consent["authId"]})).json()
    body = {
        "authCode": pushed["authCode"],
        "operator": OPERATOR,
        "encounter": {"type": "outpatient", "id": "MZ0001"},
    }
    reply = await rig.gateway.post("/api/v1/consents/redeem", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["id"] == consent["id"] and reply.json()["status"] == "GRANTED"


async def test_patient_code_replaces_a_pushed_request(rig: GdHealthRig) -> None:
    consent = await apply(rig, "AUTH_CODE")
    own = (await rig.sim.post("/sim/auth-codes", json={"idNo": rig.resident(0).id_no})).json()
    body = {
        "authCode": own["authCode"],
        "operator": OPERATOR,
        "encounter": {"type": "outpatient", "id": "MZ0001"},
    }
    reply = (await rig.gateway.post("/api/v1/consents/redeem", json=body)).json()
    assert reply["status"] == "GRANTED" and reply["id"] != consent["id"]
    assert await status(rig, consent["id"]) == "CANCELLED"
