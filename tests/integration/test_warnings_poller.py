"""The poller and the message API against the fake front-end, on SQLite, in process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hisbridge.connectors.frontend.sso import SsoLauncher
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_messages as messages_table
from hisbridge.testing.warnings import MessageWorld, message_world
from hisbridge.warnings.hub import RESYNC, MessageHub
from hisbridge.web.warnings_api import Reader

World = MessageWorld


def stored_seqs(world: World) -> list[int]:
    with world.services.store._engine.connect() as conn:
        return list(conn.scalars(select(messages_table.c.seq).order_by(messages_table.c.seq)))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    async with message_world(engine, interaction={"poller": {"page_limit": 3, "interval_s": 5}}
                             ) as built:
        yield built
    engine.dispose()


async def test_full_pages_are_followed_at_once_and_stored_in_order(world: World) -> None:
    for i in range(7):
        world.state.add_message(userId="D001" if i % 2 == 0 else "D002")
    first = await world.services.poller.step()
    assert first.stored == 3 and first.delay_s == 0.0  # a full page: ask again at once
    await world.services.poller.step()
    last = await world.services.poller.step()
    assert last.stored == 1 and last.delay_s == 5
    assert stored_seqs(world) == list(range(1, 8))


async def test_resent_and_backward_messages_are_not_stored_twice(world: World) -> None:
    for _ in range(3):
        world.state.add_message()
    await world.services.poller.step()
    world.services.store._engine.dispose()
    state = world.services.store.poll_state()
    assert state.cursor == "3" and state.last_seq == 3
    # The front-end re-sends old messages and one with a seq that went backwards.
    world.state.messages.append({**world.state.messages[0], "seq": 4})
    world.state.messages.append({**world.state.messages[1], "msgId": "LATE", "seq": 5})
    world.state.messages[-1]["seq"] = 2
    world.state.add_message(msgId="NEW", seq=6)
    world.services.store._engine.dispose()
    result = await world.services.poller.step()
    assert result.stored == 1
    assert stored_seqs(world) == [1, 2, 3, 6]


async def test_front_end_down_backs_off_then_catches_up_in_order(world: World) -> None:
    world.state.down = True
    world.state.add_message()
    delays = [(await world.services.poller.step()).delay_s for _ in range(4)]
    assert delays == [2.0, 4.0, 5.0, 5.0]  # never longer than one poll interval while down
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert status["delayed"] is True and status["failures"] == 4
    for _ in range(4):
        world.state.add_message()
    world.state.down = False
    while (await world.services.poller.step()).delay_s == 0.0:
        pass
    assert stored_seqs(world) == [1, 2, 3, 4, 5]
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert status["delayed"] is False and status["failures"] == 0


async def test_api_lists_marks_read_and_filters(world: World) -> None:
    world.state.add_message(userId="D001", deptCode="A03")
    world.state.add_message(userId="D002", deptCode="A03")
    world.state.add_message(userId="D003", deptCode="B01")
    await world.services.poller.step()
    mine = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["messages"]
    assert [m["id"] for m in mine] == ["M000001"]
    dept = (await world.api.get(f"/api/v1/warnings?{world.query(dept='A03')}")).json()
    assert [m["seq"] for m in dept["messages"]] == [1, 2]
    read = await world.api.post(f"/api/v1/warnings/M000001/read?{world.query(dept='A03')}")
    assert read.status_code == 200
    unread = await world.api.get(f"/api/v1/warnings?{world.query(dept='A03', unread='true')}")
    assert [m["id"] for m in unread.json()["messages"]] == ["M000002"]
    since = await world.api.get(f"/api/v1/warnings?{world.query(dept='A03', since=1)}")
    assert [m["seq"] for m in since.json()["messages"]] == [2]
    other = await world.api.post(f"/api/v1/warnings/M000003/read?{world.query()}")
    assert other.status_code == 404 and "没有这条消息" in other.json()["error"]


@pytest.mark.parametrize("tamper", ["userId=D002", "exp=99999999999", "sig=00", "drop-sig"])
async def test_tampered_signatures_get_403_and_no_data(world: World, tamper: str) -> None:
    world.state.add_message()
    await world.services.poller.step()
    query = world.query()
    if tamper == "drop-sig":
        query = "&".join(p for p in query.split("&") if not p.startswith("sig="))
    else:
        key = tamper.split("=")[0]
        query = "&".join(tamper if p.startswith(key + "=") else p for p in query.split("&"))
    api = await world.api.get(f"/api/v1/warnings?{query}")
    assert api.status_code == 403 and "messages" not in api.json()
    page = await world.api.get(f"/ws/warnings?{query}")
    assert page.status_code == 403
    assert "无法打开预警提醒页面" in page.text and "疑似漏报" not in page.text


async def test_expired_widget_link_is_refused(world: World) -> None:
    query = world.query()
    world.clock.advance(hours=13)
    page = await world.api.get(f"/ws/warnings?{query}")
    assert page.status_code == 403 and "链接已过期" in page.text


async def test_widget_page_carries_the_signed_auth_only(world: World) -> None:
    page = await world.api.get(f"/ws/warnings?{world.query(dept='A03')}")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert "传染病预警提醒" in page.text and "SIM-LICENSE" not in page.text
    assert (await world.api.get("/ws/sso.js")).headers["content-type"].startswith(
        "application/javascript")
    assert (await world.api.get("/ws/static/warnings.js")).status_code == 200


async def test_sso_prepare_checks_base_user_delivery(world: World) -> None:
    ok = (await world.api.post(f"/api/v1/sso/prepare?{world.query()}")).json()
    assert ok["result"] is True and ok["license"] == "SIM-LICENSE-0001"
    assert ok["client"]["ssoPath"] == "/client/sso"
    unknown = (await world.api.post(f"/api/v1/sso/prepare?{world.query(user='D404')}")).json()
    assert unknown["result"] is False and unknown["problem"] == "user_not_delivered"
    assert "base_user" in unknown["desc"] and "license" not in unknown
    forged = await world.api.post("/api/v1/sso/prepare?userId=D001&exp=9999999999&sig=x")
    assert forged.status_code == 403 and "license" not in forged.json()


async def test_sso_launch_reaches_the_client(world: World) -> None:
    outcome = await world.services.sso.launch("D001", client_base_url="http://fe")
    assert outcome.ok and outcome.url and "/client/session/" in outcome.url
    world.delivered.delivered.add(("base_user", "D002"))  # delivered, but client lacks it
    refused = await world.services.sso.launch("D002", client_base_url="http://fe")
    assert refused.problem == "sso_refused" and "用户未同步" in refused.message
    settings = world.services.interaction.client
    launcher = SsoLauncher(settings, license_code="L", delivered=world.delivered)
    down = await launcher.launch("D001", client_base_url="http://127.0.0.1:9")  # nobody there
    assert down.problem == "client_not_running" and "客户端" in down.message


async def test_hub_fans_out_and_asks_a_slow_stream_to_resync(world: World) -> None:
    hub = MessageHub(world.services.store, check_s=0.05)
    mine = await hub.subscribe(Reader("D001", None).wants)
    others = await hub.subscribe(Reader("D002", None).wants)
    for i in range(300):
        world.state.add_message(userId="D001" if i else "D002")
    while (await world.services.poller.step()).delay_s == 0.0:
        pass
    await asyncio.sleep(0.3)
    got = [mine.queue.get_nowait() for _ in range(mine.queue.qsize())]
    assert got == [RESYNC] and mine.overflowed  # bounded: the stream reloads from the store
    assert [m["userId"] for m in [others.queue.get_nowait()]] == ["D002"]
    assert others.queue.empty() and not others.overflowed
    hub.unsubscribe(mine)
    hub.unsubscribe(others)
    await asyncio.sleep(0.2)
    assert hub.listeners == 0 and hub._task is not None and hub._task.done()


async def test_a_recovered_front_end_shows_live_within_one_poll_interval(world: World) -> None:
    """A 150 s outage: the poll that sees the front-end back comes at most one interval (5 s)
    after it recovers. Exponential back-off to 128 s left the widget "delayed" ~2 min."""
    world.state.down = True
    elapsed = 0.0
    while elapsed < 150:
        step = await world.services.poller.step()
        assert step.error is not None
        world.clock.advance(step.delay_s)
        elapsed += step.delay_s
    world.state.down = False
    while (step := await world.services.poller.step()).error is not None:
        world.clock.advance(step.delay_s)
        elapsed += step.delay_s
    assert elapsed - 150 <= 5.0
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert status["delayed"] is False and status["notices"] == []


async def test_a_key_that_was_not_renewed_is_a_notice(world: World) -> None:
    world.state.add_message()
    await world.services.poller.step()
    assert world.services.key_cache is not None
    key = world.services.key_cache.load()
    assert key is not None
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert status["notices"] == []
    world.state.down = True  # renewal fails: the key ages into its last day, then past it
    world.clock.advance(key.expires_at - world.clock.now().timestamp() - 3600)
    await world.services.poller.step()
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert [n["kind"] for n in status["notices"]] == ["outage", "key_expiring"]
    world.clock.advance(7200)
    status = (await world.api.get(f"/api/v1/warnings?{world.query()}")).json()["status"]
    assert [n["kind"] for n in status["notices"]] == ["outage", "key_expired"]
    assert "过期" in status["notices"][1]["text"]


async def test_a_failed_poll_is_logged_with_what_to_fix(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.state.down = True
    result = await world.services.poller.step()
    failed = [r for r in caplog.records if r.getMessage() == "message poll failed"]
    assert failed and result.error
    assert getattr(failed[-1], "error", None) == result.error  # the engineer reads the cause
