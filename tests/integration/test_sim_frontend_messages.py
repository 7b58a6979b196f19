"""Secret keys (7-day life on an injected clock), the message query's single-consumer order,
and the warning engine that produces the messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hisbridge._clock import ManualClock
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.app import FrontendApp

LICENSE = "LIC-TEST"
ORG = "123456789"
DELAY_S = 60.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sim(clock: ManualClock) -> AsyncIterator[tuple[FrontendApp, httpx.AsyncClient]]:
    config = FrontendSimConfig(licenses=(LICENSE,), report_delay_s=DELAY_S, page_limit=5)
    app = create_frontend_app(config, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        yield app, client
    app.sim.close()


async def _key(client: httpx.AsyncClient, license_code: str = LICENSE) -> dict[str, Any]:
    reply: dict[str, Any] = (await client.post("/hclient/api/auth/secretKey",
                                               json={"license": license_code})).json()
    return reply


async def _query(client: httpx.AsyncClient, key: str, **extra: Any) -> dict[str, Any]:
    body = {"secretKey": key, "orgCode": ORG, **extra}
    reply: dict[str, Any] = (await client.post("/hclient/api/message/query", json=body)).json()
    return reply


async def _post(client: httpx.AsyncClient, camel: str, body: dict[str, Any]) -> None:
    reply = (await client.post(f"/hclient/emr/receive/{camel}", json=body)).json()
    assert reply["result"] is True, reply


def _activity(n: int, code: str = "A15.0", **extra: Any) -> dict[str, Any]:
    return {"id": f"act-{n}", "patientId": f"pat-{n}", "serialNumber": f"MZ{n:04d}",
            "diseaseCode": code, "operatorId": "doc-1", "deptCode": "A03", "orgCode": ORG,
            "activityTime": "2026-01-01 08:00:00", **extra}


# -- secret keys ------------------------------------------------------------------------------

async def test_key_is_valid_for_seven_days(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    _, client = sim
    issued = await _key(client)
    assert issued["result"] is True and issued["secretKey"]
    assert issued["expireTime"] == "2026-01-08 08:00:00"
    clock.advance(days=6, hours=23, minutes=59)
    assert (await _query(client, issued["secretKey"]))["result"] is True
    clock.advance(minutes=1)
    expired = await _query(client, issued["secretKey"])
    assert expired["result"] is False
    assert expired["errorCode"] == "02" and expired["errorName"] == "授权错误"
    fresh = await _key(client)
    assert (await _query(client, fresh["secretKey"]))["result"] is True


@pytest.mark.parametrize("license_code", ["", "WRONG"])
async def test_unknown_licence_is_refused(
    sim: tuple[FrontendApp, httpx.AsyncClient], license_code: str
) -> None:
    reply = await _key(sim[1], license_code)
    assert reply["result"] is False and reply["errorCode"] == "02"


async def test_unknown_key_is_refused(sim: tuple[FrontendApp, httpx.AsyncClient]) -> None:
    reply = await _query(sim[1], "not-a-key")
    assert reply["result"] is False and reply["errorCode"] == "02"


@pytest.mark.parametrize("extra", [{"cursor": "abc"}, {"limit": -1}, {"orgCode": ""}])
async def test_bad_query_parameters_are_03(
    sim: tuple[FrontendApp, httpx.AsyncClient], extra: dict[str, Any]
) -> None:
    key = (await _key(sim[1]))["secretKey"]
    reply = await _query(sim[1], key, **extra)
    assert reply["result"] is False and reply["errorCode"] == "03"


# -- the warning engine -------------------------------------------------------------------------

async def test_missed_report_is_raised_exactly_once(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _post(client, "emrActivityInfo", _activity(1))
    assert app.sim.tick() == 0
    clock.advance(DELAY_S - 1)
    assert app.sim.tick() == 0
    clock.advance(1)
    assert app.sim.tick() == 1
    await _post(client, "emrActivityInfo", _activity(1))  # a re-send of the same visit
    clock.advance(DELAY_S * 3)
    assert app.sim.tick() == 0
    messages = (await client.get("/sim/messages")).json()
    assert len(messages) == 1
    message = messages[0]
    assert message["type"] == "missed_report" and message["title"] == "传染病漏报提醒"
    assert message["userId"] == "doc-1" and message["deptCode"] == "A03"
    assert message["patientId"] == "pat-1" and message["serialNumber"] == "MZ0001"
    assert message["orgCode"] == ORG and message["createTime"] == "2026-01-01 08:01:00"
    assert "A15.0" in message["content"] and "肺结核" in message["content"]


async def test_report_card_in_time_stops_the_warning(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _post(client, "emrActivityInfo", _activity(2))
    clock.advance(DELAY_S / 2)
    await _post(client, "emrInfReport", {"id": "card-2", "patientId": "pat-2",
                                         "diseaseName": "肺结核", "operatorId": "doc-1"})
    clock.advance(DELAY_S * 2)
    assert app.sim.tick() == 0
    messages = (await client.get("/sim/messages")).json()
    assert [m["type"] for m in messages] == ["report_received"]
    assert messages[0]["title"] == "报告卡已接收" and messages[0]["patientId"] == "pat-2"


@pytest.mark.parametrize(("activity", "notifiable"), [
    ({"diseaseCode": "A15.0"}, True),
    ({"diseaseCode": "", "wmDiseaseCode": "J18.9||B05.900"}, True),   # measles by prefix
    ({"diseaseCode": "I10"}, False),                                  # hypertension
    ({"diseaseCode": "D49.9"}, False),                                # the catch-all 其它
    ({"diseaseCode": "A15.0", "invalidFlag": "1"}, False),            # voided visit
])
async def test_which_diagnoses_are_watched(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock,
    activity: dict[str, Any], notifiable: bool,
) -> None:
    app, client = sim
    await _post(client, "emrActivityInfo", {**_activity(3), **activity})
    clock.advance(DELAY_S)
    assert app.sim.tick() == (1 if notifiable else 0)


async def test_card_received_before_the_visit_means_no_warning(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _post(client, "emrInfReport", {"id": "card-4", "patientId": "pat-4"})
    await _post(client, "emrActivityInfo", _activity(4))
    clock.advance(DELAY_S)
    assert app.sim.tick() == 0


async def test_positive_pathogen_lab_item(sim: tuple[FrontendApp, httpx.AsyncClient]) -> None:
    _, client = sim
    await _post(client, "emrExLab", {"id": "lab-1", "patientId": "pat-5", "serialNumber": "ZY9",
                                     "applyDeptCode": "A03", "applyPhysicianId": "doc-2",
                                     "orgCode": ORG})
    await _post(client, "emrExLabItem", {"id": "li-1", "exLabId": "lab-1", "itemCode": "X1",
                                         "itemName": "新型冠状病毒核酸检测",
                                         "examinationResultCode": "01"})
    await _post(client, "emrExLabItem", {"id": "li-2", "exLabId": "lab-1",
                                         "itemName": "血红蛋白", "examinationResultCode": "01"})
    await _post(client, "emrExLabItem", {"id": "li-3", "exLabId": "lab-1",
                                         "itemName": "乙肝表面抗原",
                                         "examinationResultName": "阴性"})
    messages = (await client.get("/sim/messages")).json()
    assert [(m["type"], m["title"]) for m in messages] == [("pathogen_positive", "病原学阳性提醒")]
    assert messages[0]["patientId"] == "pat-5" and messages[0]["userId"] == "doc-2"


# -- the message query ----------------------------------------------------------------------------

async def _make_messages(app: FrontendApp, client: httpx.AsyncClient, clock: ManualClock,
                         n: int) -> None:
    for i in range(n):
        await _post(client, "emrActivityInfo", _activity(100 + i))
    clock.advance(DELAY_S)
    assert app.sim.tick() == n


async def test_pages_come_in_increasing_sequence(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _make_messages(app, client, clock, 12)
    key = (await _key(client))["secretKey"]
    seen: list[int] = []
    cursor = 0
    while True:
        page = await _query(client, key, cursor=cursor)
        if not page["messages"]:
            break
        seen.extend(m["seq"] for m in page["messages"])
        assert page["nextCursor"] == page["messages"][-1]["seq"]
        cursor = page["nextCursor"]
    assert seen == sorted(seen) and len(set(seen)) == 12
    again = await _query(client, key, cursor=0)
    assert again["messages"] == []  # consumed: the key's consumer has read them all


async def test_two_concurrent_consumers_never_share_a_message(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _make_messages(app, client, clock, 23)
    key = (await _key(client))["secretKey"]

    async def consume() -> list[list[int]]:
        pages = []
        while True:
            page = await _query(client, key, cursor=0, limit=3)
            if not page["messages"]:
                return pages
            pages.append([m["seq"] for m in page["messages"]])
            await asyncio.sleep(0)

    first, second = await asyncio.gather(consume(), consume())
    assert first and second
    every = [seq for page in first + second for seq in page]
    assert sorted(every) == list(range(1, 24))
    assert len(every) == len(set(every))
    for pages in (first, second):
        flat = [seq for page in pages for seq in page]
        assert flat == sorted(flat)


async def test_filters_by_department_and_doctor(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    app, client = sim
    await _post(client, "emrActivityInfo", _activity(7, deptCode="B01", operatorId="doc-9"))
    await _post(client, "emrActivityInfo", _activity(8))
    clock.advance(DELAY_S)
    app.sim.tick()
    key = (await _key(client))["secretKey"]
    page = await _query(client, key, deptCode="B01", userId="doc-9")
    assert [m["patientId"] for m in page["messages"]] == ["pat-7"]
    other_org = await _query(client, (await _key(client))["secretKey"], orgCode="999999999")
    assert other_org["messages"] == []


@pytest.mark.services
async def test_message_flow_on_postgres(pg_url: str, clock: ManualClock) -> None:
    config = FrontendSimConfig(licenses=(LICENSE,), report_delay_s=DELAY_S)
    app = create_frontend_app(config, clock=clock, store_url=pg_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        await _post(client, "emrActivityInfo", _activity(1))
        await _post(client, "emrActivityInfo", _activity(2))
        await _post(client, "emrInfReport", {"id": "card-2", "patientId": "pat-2"})
        clock.advance(DELAY_S)
        assert app.sim.tick() == 1
        key = (await _key(client))["secretKey"]
        page = await _query(client, key, startTime="2026-01-01 00:00:00")
        assert [m["type"] for m in page["messages"]] == ["report_received", "missed_report"]
        assert [m["seq"] for m in page["messages"]] == [1, 2]
    app.sim.close()
    restarted = create_frontend_app(config, clock=clock, store_url=pg_url)
    assert restarted.sim.store.message_seq == 2  # sequence continues after a restart
    restarted.sim.close()


async def test_a_store_failure_while_issuing_a_key_is_errorcode_99_not_a_500(
        sim: tuple[FrontendApp, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch) -> None:
    app, client = sim

    def broken(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(app.sim.keys, "issue", broken)
    response = await client.post("/hclient/api/auth/secretKey", json={"license": LICENSE})
    assert response.status_code == 200
    reply = response.json()
    assert reply["result"] is False and reply["errorCode"] == "99", reply
    assert "OSError" in reply["desc"]
