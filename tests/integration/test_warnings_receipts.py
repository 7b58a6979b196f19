"""Warnings belong to their addressee: per-doctor read/handled state through the message API,
on SQLite and PostgreSQL; and 去处理 (SSO) carrying the warning's patient and visit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, insert

from hisbridge import _json
from hisbridge.store.schema.outbox import records
from hisbridge.testing.warnings import MessageWorld, message_world

pytestmark = pytest.mark.services
SECRET = "receipts-secret"
TEMPLATE = "{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}"


World = MessageWorld


async def _listed(world: World, user: str, dept: str = "A03") -> dict[str, dict[str, object]]:
    reply = await world.api.get(f"/api/v1/warnings?{world.query(user, dept)}")
    assert reply.status_code == 200
    return {m["id"]: m for m in reply.json()["messages"]}


async def _act(world: World, msg_id: str, action: str, user: str) -> httpx.Response:
    return await world.api.post(f"/api/v1/warnings/{msg_id}/{action}?{world.query(user, 'A03')}")


def _doctor(engine: Engine, user_id: str, name: str) -> None:
    """An accepted base_user record (where the widget finds the doctor's name)."""
    payload = _json.dumps_str({"id": user_id, "user_name": name, "dept_code": "A03"})
    with engine.begin() as conn:
        conn.execute(insert(records).values(
            table_name="base_user", record_id=user_id, version=1, op="upsert",
            content_hash="0" * 32, payload=payload, source="his", received_at=datetime.now(UTC)))


async def _world(engine: Engine, **interaction: object) -> AsyncIterator[World]:
    settings = {"client": {"base_url": "http://fe"}, **interaction}
    async with message_world(engine, secret=SECRET, delivered=("D001", "D002"),
                             interaction=settings) as built:
        yield built


@pytest.fixture
async def world(store_engine: Engine) -> AsyncIterator[World]:
    async for built in _world(store_engine):
        yield built


async def _seeded(world: World) -> None:
    world.state.add_message(msgId="TO-D002", userId="D002", deptCode="A03")
    world.state.add_message(msgId="TO-DEPT", userId=None, deptCode="A03")
    await world.services.poller.step()


async def test_a_colleague_cannot_dismiss_a_warning_addressed_to_another_doctor(
    world: World, store_engine: Engine
) -> None:
    _doctor(store_engine, "D002", "张三丰")
    await _seeded(world)
    refused = await _act(world, "TO-D002", "read", "D001")
    assert refused.status_code == 403
    body = refused.json()
    assert body["problem"] == "not_addressee"
    assert "发给了其他医生" in body["desc"] and "addressed to another doctor" in body["desc"]
    assert "department_handling" in body["hint"]
    assert (await _act(world, "TO-D002", "handled", "D001")).status_code == 403
    assert (await _listed(world, "D002"))["TO-D002"]["read"] is False  # still there for D002
    seen = (await _listed(world, "D001"))["TO-D002"]
    assert seen["userId"] == "D002" and seen["addresseeName"] == "张**"  # 发给 张** 医生


async def test_the_addressee_reads_and_colleagues_see_who_and_when(world: World,
                                                                   store_engine: Engine) -> None:
    _doctor(store_engine, "D002", "张三丰")
    await _seeded(world)
    world.clock.advance(60)
    assert (await _act(world, "TO-D002", "read", "D002")).status_code == 200
    when = world.clock.now().strftime("%Y-%m-%d %H:%M:%S")
    for reader in ("D002", "D001"):
        state = (await _listed(world, reader))["TO-D002"]
        assert (state["read"], state["readBy"], state["readByName"], state["readAt"]) == (
            True, "D002", "张**", when)
        assert state["handled"] is False
    world.clock.advance(60)
    assert (await _act(world, "TO-D002", "handled", "D002")).status_code == 200
    assert (await _act(world, "TO-D002", "read", "D002")).status_code == 200  # idempotent
    state = (await _listed(world, "D001"))["TO-D002"]
    assert state["handled"] is True and state["handledBy"] == "D002"
    assert state["readAt"] == when  # the first read is kept


async def test_a_department_warning_has_each_doctors_own_state(world: World) -> None:
    await _seeded(world)
    assert (await _act(world, "TO-DEPT", "read", "D001")).status_code == 200
    assert (await _listed(world, "D001"))["TO-DEPT"]["read"] is True
    assert (await _listed(world, "D003"))["TO-DEPT"]["read"] is False
    unread = await world.api.get(f"/api/v1/warnings?{world.query('D003', 'A03', unread='true')}")
    assert {m["id"] for m in unread.json()["messages"]} == {"TO-D002", "TO-DEPT"}


async def test_department_handling_lets_a_colleague_act_for_the_addressee(
    store_engine: Engine
) -> None:
    async for world in _world(store_engine, department_handling=True):
        await _seeded(world)
        assert (await _act(world, "TO-D002", "read", "D001")).status_code == 200
        state = (await _listed(world, "D002"))["TO-D002"]
        assert state["read"] is True and state["readBy"] == "D001"


async def _launch(world: World, msg_id: str | None) -> dict[str, object]:
    extra = {"msgId": msg_id} if msg_id else {}
    reply = await world.api.post(f"/api/v1/sso/launch?{world.query('D001', 'A03', **extra)}")
    assert reply.status_code == 200
    body: dict[str, object] = reply.json()
    return body


async def test_sso_for_a_warning_opens_that_patients_visit_with_the_template(
    store_engine: Engine
) -> None:
    async for world in _world(store_engine, client={"base_url": "http://fe",
                                                    "deep_link_template": TEMPLATE}):
        world.state.add_message(msgId="W1", userId="D001", patientId="P 7", serialNumber="MZ/9")
        world.state.add_message(msgId="W2", userId="D001", patientId="P8", serialNumber=None)
        await world.services.poller.step()
        linked = await _launch(world, "W1")
        assert linked["result"] is True
        url = str(linked["url"])
        assert "/client/session/" in url
        assert url.endswith("/report-card?patientId=P%207&visitId=MZ%2F9&cardId=")
        # Without a visit the client opens on its start page; without msgId likewise.
        assert str((await _launch(world, "W2"))["url"]).split("/")[-2] == "session"
        assert "report-card" not in str((await _launch(world, None))["url"])
        prepared = await world.api.post(f"/api/v1/sso/prepare?{world.query('D001', 'A03', msgId='W1')}")
        assert prepared.json()["deepLink"] == (
            "{session_url}/report-card?patientId=P%207&visitId=MZ%2F9&cardId=")
        assert prepared.json()["visitId"] == "MZ/9"


async def test_sso_without_a_template_opens_the_start_page(world: World) -> None:
    world.state.add_message(msgId="W1", userId="D001", patientId="P7", serialNumber="MZ9")
    await world.services.poller.step()
    assert "report-card" not in str((await _launch(world, "W1"))["url"])
    prepared = await world.api.post(f"/api/v1/sso/prepare?{world.query('D001', 'A03', msgId='W1')}")
    assert prepared.json()["deepLink"] is None and prepared.json()["visitId"] == "MZ9"
