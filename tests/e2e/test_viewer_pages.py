"""The viewer's server side, in-process: signatures, refusals, no data without a grant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.sharing.consent.platform_errors import PlatformUnavailable
from hisbridge.testing.gdhealth_rig import GATEWAY, GdHealthRig, build_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}", clock=clock)
    person = built.resident(0)
    await built.gateway.post(
        "/api/v1/encounters",
        json={
            "event": "REGISTERED",
            "patient": {"hisPatientId": "P1", "idNo": person.id_no, "name": person.name},
            "encounter": {"type": "outpatient", "id": "MZ1", "visitDate": "2026-03-02"},
        },
    )
    yield built
    await built.aclose()


def path(url: str) -> str:
    return url.removeprefix(GATEWAY)


@pytest.mark.parametrize("tamper", ["sig", "userId", "exp"])
async def test_bad_signature_is_403_in_chinese(rig: GdHealthRig, tamper: str) -> None:
    url = path(rig.url("P1", "OUTPATIENT", "MZ1"))
    bad = url.replace(f"{tamper}=", f"{tamper}=0") if tamper != "exp" else url
    if tamper == "exp":
        assert isinstance(rig.clock, ManualClock)
        rig.clock.advance(hours=13)
    reply = await rig.gateway.get(bad)
    assert reply.status_code == 403
    assert "无权访问" in reply.text and ("签名无效" in reply.text or "已过期" in reply.text)
    api = await rig.gateway.get(bad.replace("/ws/shared?", "/ws/shared/api/state?"))
    assert api.status_code == 403


async def test_unknown_encounter_offers_no_authorization(rig: GdHealthRig) -> None:
    reply = await rig.gateway.get(path(rig.url("P1", "OUTPATIENT", "MZ-NOT-PUSHED")))
    assert reply.status_code == 200 and "尚未收到该就诊" in reply.text
    assert 'data-testid="channel-sms"' not in reply.text


async def test_no_record_content_without_grant(rig: GdHealthRig) -> None:
    url = path(rig.url("P1", "OUTPATIENT", "MZ1"))
    page = await rig.gateway.get(url)
    assert page.status_code == 200 and "申请调阅授权" in page.text and "张" in page.text
    api = url.replace("/ws/shared?", "/ws/shared/api/{}?")
    applied = await rig.gateway.post(api.format("apply"), json={"channel": "APP"})
    assert applied.json()["consent"]["status"] == "PENDING"
    timeline = await rig.gateway.get(api.format("timeline"))
    assert timeline.status_code == 403 and "患者尚未完成授权" in timeline.text
    doc_id = rig.platform.documents[rig.resident(0).person_key][0].doc_id
    doc = await rig.gateway.get(url.replace("/ws/shared?", f"/ws/shared/doc/{doc_id}?"))
    assert doc.status_code == 403 and doc_id not in doc.text and "watermark" not in doc.text


async def test_granted_viewer_shows_timeline_detail_and_watermark(rig: GdHealthRig) -> None:
    url = path(rig.url("P1", "OUTPATIENT", "MZ1"))
    api = url.replace("/ws/shared?", "/ws/shared/api/{}?")
    await rig.gateway.post(api.format("apply"), json={"channel": "SMS"})
    wrong = await rig.gateway.post(api.format("sms"), json={"code": "000000"})
    assert wrong.status_code == 422 and "还可尝试 4 次" in wrong.json()["error"]
    code = rig.platform.sms_outbox[-1]["code"]
    granted = await rig.gateway.post(api.format("sms"), json={"code": code})
    assert granted.json()["statusText"] == "已授权"
    timeline = await rig.gateway.get(api.format("timeline"))
    for label in ("既往诊疗", "检验", "检查", "体检", "献血用血", "疫苗接种"):
        assert label in timeline.text
    docs = rig.platform.documents[rig.resident(0).person_key]
    transfusion = next(d for d in docs if d.record_type == "blood_transfusion")
    detail = await rig.gateway.get(api.format(f"doc/{transfusion.doc_id}"))
    assert detail.status_code == 200
    assert f"{rig.resident(0).abo}型" in detail.text and "输血量" in detail.text
    assert "张医生 D0001 2026-03-02 09:00" in detail.text  # the watermark
    vaccination = next(d for d in docs if d.record_type == "vaccination")
    listing = await rig.gateway.get(api.format(f"doc/{vaccination.doc_id}"))
    assert "疫苗名称" in listing.text and listing.text.count("<tr") > 3
    actions = [e.action for e in rig.services.audit.log.entries()]
    assert "RECORD_INDEX" in actions and actions.count("RECORD_VIEW") == 2


async def _register(rig: GdHealthRig, person: Any, patient_id: str, encounter_id: str) -> str:
    await rig.gateway.post(
        "/api/v1/encounters",
        json={
            "event": "REGISTERED",
            "patient": {"hisPatientId": patient_id, "idNo": person.id_no, "name": person.name},
            "encounter": {"type": "outpatient", "id": encounter_id, "visitDate": "2026-03-02"},
        },
    )
    return path(rig.url(patient_id, "OUTPATIENT", encounter_id))


def _channels(html: str) -> list[str]:
    return re.findall(r'data-channel="([A-Z_]+)"', html)


async def test_unreachable_channels_are_not_offered(rig: GdHealthRig) -> None:
    person = rig.resident(len(rig.platform.residents) - 1)  # no phone, no 粤健通
    page = await rig.gateway.get(await _register(rig, person, "P9", "MZ9"))
    assert _channels(page.text) == ["AUTH_CODE"]
    assert "患者未开通粤健通,不能使用粤健通授权" in page.text
    assert "平台无该居民的实名手机号,不能使用短信验证码" in page.text


async def test_known_resident_without_phone_gets_no_sms_option(rig: GdHealthRig) -> None:
    phoneless = replace(rig.resident(2), phone=None)  # has 粤健通, no real-name phone
    rig.platform.residents[2] = phoneless
    page = await rig.gateway.get(await _register(rig, phoneless, "P2", "MZ2"))
    assert _channels(page.text) == ["APP", "AUTH_CODE"]
    assert 'data-testid="channel-sms"' not in page.text
    assert 'data-testid="channel-unavailable-sms"' in page.text
    assert "平台无该居民的实名手机号" in page.text and "disabled" not in page.text


async def test_person_unknown_to_the_platform_gets_one_message_and_no_channel(
    rig: GdHealthRig,
) -> None:
    stranger = replace(rig.resident(0), id_no="440103199001011234", name="王某某")
    page = await rig.gateway.get(await _register(rig, stranger, "P404", "MZ404"))
    assert page.status_code == 200
    assert _channels(page.text) == [] and "请选择授权方式" not in page.text
    assert page.text.count("平台未找到该居民") == 1 and 'data-testid="person-refused"' in page.text


async def test_identity_mismatch_offers_no_channel(rig: GdHealthRig) -> None:
    wrong_name = replace(rig.resident(1), name="李错名")
    page = await rig.gateway.get(await _register(rig, wrong_name, "P7", "MZ7"))
    assert _channels(page.text) == [] and "与证件号码和平台登记的不一致" in page.text


async def test_platform_down_still_offers_channels_with_a_note(rig: GdHealthRig) -> None:
    async def down(_: object) -> object:
        raise PlatformUnavailable("person_resolve: ConnectError")

    rig.services.consents.platform.resolve_person = down  # type: ignore[method-assign,assignment]
    page = await rig.gateway.get(path(rig.url("P1", "OUTPATIENT", "MZ1")))
    assert _channels(page.text) == ["APP", "SMS", "AUTH_CODE"]
    assert "暂时无法向平台确认患者信息" in page.text


async def test_lookup_can_be_switched_off(tmp_path: Path) -> None:
    built = build_rig(f"sqlite:///{tmp_path / 'off.db'}", resolve_person_first=False,
                      clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
    try:
        stranger = replace(built.resident(0), id_no="440103199001011234")
        page = await built.gateway.get(await _register(built, stranger, "P404", "MZ404"))
        assert _channels(page.text) == ["APP", "SMS", "AUTH_CODE"]
    finally:
        await built.aclose()


async def test_url_patient_must_own_the_encounter(rig: GdHealthRig) -> None:
    url = path(rig.url("P-OTHER", "OUTPATIENT", "MZ1"))
    reply = await rig.gateway.post(
        url.replace("/ws/shared?", "/ws/shared/api/apply?"), json={"channel": "APP"}
    )
    assert reply.status_code == 403 and reply.json()["code"] == "PATIENT_MISMATCH"


async def test_viewer_code_channel_push_then_redeem(rig: GdHealthRig) -> None:
    url = path(rig.url("P1", "OUTPATIENT", "MZ1"))
    api = url.replace("/ws/shared?", "/ws/shared/api/{}?")
    pushed = (await rig.gateway.post(api.format("apply"), json={"channel": "AUTH_CODE"})).json()
    assert pushed["consent"]["channelInfo"] == {"codePushed": True}
    bad = await rig.gateway.post(api.format("redeem"), json={"code": "GD-ZZZZ-ZZ"})
    assert bad.status_code == 422 and "授权码无效" in bad.json()["error"]
    auth_id = pushed["consent"]["authId"]
    code = (await rig.sim.get("/sim/auth-codes", params={"authId": auth_id})).json()["authCode"]
    granted = (await rig.gateway.post(api.format("redeem"), json={"code": code})).json()
    assert granted["consent"]["status"] == "GRANTED" and granted["statusText"] == "已授权"
