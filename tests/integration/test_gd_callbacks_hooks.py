"""Platform callbacks (forged, stale, replayed are refused and audited) and the HIS hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.connectors.gdhealth.client import signed_headers
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

OPERATOR = {"userId": "D0001", "name": "张医生", "deptCode": "0301"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(
        f"sqlite:///{tmp_path / 'gw.db'}",
        clock=clock,
        auto_apply_at_admission=True,
        windows={"inpatient_grace_days": 7},
    )
    yield built
    await built.aclose()


async def _granted_app(rig: GdHealthRig) -> dict[str, str]:
    return await rig.apply("APP")


def _signed(
    rig: GdHealthRig,
    payload: dict[str, str],
    *,
    secret: str | None = None,
    at_ms: int | None = None,
    nonce: str = "n-1",
) -> tuple[bytes, dict[str, str]]:
    body = _json.dumps(payload)
    now_ms = at_ms if at_ms is not None else int(rig.clock.now().timestamp() * 1000)
    key = secret if secret is not None else rig.settings.gdhealth.callback_secret.get_secret_value()
    return body, signed_headers(rig.settings.gdhealth, body, now_ms, nonce, secret=key)


async def _refusals(rig: GdHealthRig) -> list[str]:
    return [e.outcome for e in rig.services.audit.log.entries() if e.action == "CALLBACK_REFUSED"]


async def test_genuine_callback_updates_state(rig: GdHealthRig) -> None:
    consent = await _granted_app(rig)
    rig.platform.auths[consent["authId"]].callback_url = None  # we deliver it by hand
    rig.platform.patient_decides(consent["authId"], "approve")
    body, headers = _signed(rig, {"authId": consent["authId"], "status": "GRANTED"})
    reply = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=headers)
    assert reply.status_code == 200 and reply.json()["resultCode"] == "0"
    stored = rig.services.consents.repo.get(consent["id"])
    assert stored is not None and stored.status == "GRANTED"


@pytest.mark.parametrize(
    ("secret", "offset_ms", "code"),
    [("wrong-secret", 0, "1001"), (None, -16 * 60 * 1000, "1002"), (None, 16 * 60 * 1000, "1002")],
)
async def test_forged_or_stale_callback_refused_and_logged(
    rig: GdHealthRig, secret: str | None, offset_ms: int, code: str
) -> None:
    consent = await _granted_app(rig)
    now_ms = int(rig.clock.now().timestamp() * 1000) + offset_ms
    body, headers = _signed(
        rig, {"authId": consent["authId"], "status": "REVOKED"}, secret=secret, at_ms=now_ms
    )
    reply = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=headers)
    assert reply.status_code == 401 and reply.json()["resultCode"] == code
    assert await _refusals(rig) == [f"refused:{code}"]
    stored = rig.services.consents.repo.get(consent["id"])
    assert stored is not None and stored.status == "PENDING"


async def test_replayed_callback_refused(rig: GdHealthRig) -> None:
    consent = await _granted_app(rig)
    body, headers = _signed(rig, {"authId": consent["authId"], "status": "PENDING"}, nonce="once")
    first = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=headers)
    again = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=headers)
    assert first.status_code == 200 and again.status_code == 401
    assert again.json()["resultCode"] == "1003"
    assert await _refusals(rig) == ["refused:1003"]


async def test_tampered_body_refused(rig: GdHealthRig) -> None:
    consent = await _granted_app(rig)
    body, headers = _signed(rig, {"authId": consent["authId"], "status": "GRANTED"})
    forged = body.replace(b"GRANTED", b"REVOKED")
    reply = await rig.gateway.post("/api/v1/consents/callback", content=forged, headers=headers)
    assert reply.status_code == 401 and reply.json()["resultCode"] == "1001"


async def test_admission_auto_applies_and_discharge_narrows_grant(rig: GdHealthRig) -> None:
    person = rig.resident(1)
    event = {
        "event": "ADMITTED",
        "patient": {"hisPatientId": "P2", "idNo": person.id_no, "name": person.name},
        "encounter": {
            "type": "inpatient",
            "id": "ZY0001",
            "admittedAt": "2026-03-01T15:00:00+08:00",
        },
    }
    reply = await rig.gateway.post("/api/v1/encounters", json=event)
    consent = reply.json()["consent"]
    assert reply.status_code == 202 and consent["channel"] == "APP"
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    granted = (await rig.gateway.get(f"/api/v1/consents/{consent['id']}")).json()
    assert granted["validFrom"].startswith("2026-03-01T15:00")  # from admission
    out = {
        **event,
        "event": "DISCHARGED",
        "encounter": {**event["encounter"], "dischargedAt": "2026-03-10T10:00:00+08:00"},
    }
    after = (await rig.gateway.post("/api/v1/encounters", json=out)).json()["consent"]
    assert after["validTo"].startswith("2026-03-17T10:00")  # discharge + 7 days grace


async def test_discharge_with_zero_grace_closes_grant(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    rig = build_rig(
        f"sqlite:///{tmp_path / 'g.db'}", clock=clock, windows={"inpatient_grace_days": 0}
    )
    try:
        hooks = rig.services.encounter_hooks
        person = rig.resident(0)
        from hisbridge.sharing.consent.encounters import encounter_event

        admission = {
            "id": "A1",
            "patient_id": "P9",
            "serial_number": "ZY9",
            "id_card": person.id_no,
            "patient_name": person.name,
            "admission_date": "2026-03-01 10:00:00",
        }
        assert await hooks.observe("emr_admission_info", [admission]) == 1
        consent, _ = await rig.services.consents.request(*_inpatient("ZY9"), _op())
        rig.platform.patient_decides(consent.auth_id or "", "approve")
        await rig.sim.post("/sim/tick")
        discharge = {**admission, "discharge_date": "2026-03-05 09:00:00"}
        assert encounter_event("emr_discharge_info", discharge) is not None
        assert await hooks.observe("emr_discharge_info", [discharge]) == 1
        stored = rig.services.consents.repo.get(consent.id)
        assert stored is not None and stored.status == "CLOSED"
        assert rig.platform.auths[consent.auth_id or ""].status == "CLOSED"
    finally:
        await rig.aclose()


def _inpatient(encounter_id: str) -> tuple[object, str, object]:
    from hisbridge.sharing.consent.model import Channel, EncounterType

    return EncounterType.INPATIENT, encounter_id, Channel.APP


def _op() -> object:
    from hisbridge.sharing.consent.model import Operator

    return Operator("D2", "李医生")


async def test_demo_helper_prints_a_working_viewer_url(rig: GdHealthRig) -> None:
    from hisbridge.simulators.gdhealth.demo import demo_viewer_url

    url = await demo_viewer_url(
        rig.services, rig.sim_app, rig.settings, "http://gateway.test", rig.clock
    )
    assert url.startswith("http://gateway.test/ws/shared?") and "sig=" in url
    page = await rig.gateway.get(url.removeprefix("http://gateway.test"))
    assert page.status_code == 200 and "申请调阅授权" in page.text


async def test_polling_fallback_picks_up_missed_callbacks(rig: GdHealthRig) -> None:
    consent = await _granted_app(rig)
    rig.platform.auths[consent["authId"]].callback_url = None
    rig.platform.patient_decides(consent["authId"], "approve")
    assert await rig.services.consents.refresh_open() == 1
    stored = rig.services.consents.repo.get(consent["id"])
    assert stored is not None and stored.status == "GRANTED"
