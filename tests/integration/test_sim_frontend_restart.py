"""The front-end simulator restarted on the same store (a new app object, as after a process
restart) keeps its keys, consumer cursors and waiting 漏报 visits; SQLite file and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from hisbridge._clock import ManualClock
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.app import FrontendApp
from hisbridge.simulators.frontend.durable import SavedVisit

LICENSE = "LIC-RESTART"
ORG = "123456789"
DELAY_S = 60.0
CONFIG = FrontendSimConfig(licenses=(LICENSE,), report_delay_s=DELAY_S, page_limit=3)
OLD_DB = Path(__file__).parent / "data" / "frontend_sim_main_2e2a6d4.sql"
NEW_TABLES = ("sim_secret_key", "sim_waiting_visit")
_SRC = str(Path(__file__).resolve().parents[2] / "src")

Sim = tuple[FrontendApp, httpx.AsyncClient]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sim.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@contextlib.asynccontextmanager
async def running(url: str, clock: ManualClock) -> AsyncIterator[Sim]:
    """One life of the simulator on ``url``, ended by a clean close."""
    app = create_frontend_app(CONFIG, clock=clock, store_url=url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        yield app, client
    app.sim.close()


async def _key(client: httpx.AsyncClient) -> dict[str, Any]:
    reply: dict[str, Any] = (await client.post("/hclient/api/auth/secretKey",
                                               json={"license": LICENSE})).json()
    assert reply["result"] is True, reply
    return reply


async def _query(client: httpx.AsyncClient, key: str, **extra: Any) -> dict[str, Any]:
    body = {"secretKey": key, "orgCode": ORG, **extra}
    reply: dict[str, Any] = (await client.post("/hclient/api/message/query", json=body)).json()
    return reply


async def _post(client: httpx.AsyncClient, camel: str, body: dict[str, Any]) -> None:
    reply = (await client.post(f"/hclient/emr/receive/{camel}", json=body)).json()
    assert reply["result"] is True, reply


def _activity(n: int) -> dict[str, Any]:
    return {"id": f"act-{n}", "patientId": f"pat-{n}", "serialNumber": f"MZ{n:04d}",
            "diseaseCode": "A15.0", "operatorId": "doc-1", "deptCode": "A03", "orgCode": ORG,
            "activityTime": "2026-01-01 08:00:00"}


async def _missed_reports(client: httpx.AsyncClient) -> list[str]:
    messages = (await client.get("/sim/messages")).json()
    return [m["patientId"] for m in messages if m["type"] == "missed_report"]


async def _drain(client: httpx.AsyncClient, key: str) -> list[list[int]]:
    """Every page the key's consumer still gets (cursor 0: the consumer cursor decides)."""
    pages = []
    while page := (await _query(client, key, cursor=0))["messages"]:
        pages.append([m["seq"] for m in page])
    return pages


# -- secret keys ---------------------------------------------------------------------------------

async def test_key_survives_a_restart_and_expires_at_the_same_instant(
    store_url: str, clock: ManualClock
) -> None:
    async with running(store_url, clock) as (_, client):
        issued = await _key(client)
    clock.advance(days=3)
    async with running(store_url, clock) as (_, client):
        assert (await _query(client, issued["secretKey"]))["result"] is True
        clock.advance(days=3, hours=23, minutes=59, seconds=59)
    async with running(store_url, clock) as (app, client):
        assert (await _query(client, issued["secretKey"]))["result"] is True
        assert app.sim.keys.check(issued["secretKey"]) is not None
        assert issued["expireTime"] == "2026-01-08 08:00:00"
        clock.advance(seconds=1)
        expired = await _query(client, issued["secretKey"])
        assert expired["result"] is False and expired["errorCode"] == "02"
    async with running(store_url, clock) as (app, client):
        rows = app.sim.store.query("SELECT * FROM sim_secret_key")
        assert rows == []  # the expiry was written through
        assert (await _query(client, issued["secretKey"]))["errorCode"] == "02"


_CRASHING_SIMULATOR = """
import asyncio, os, sys
import httpx
from hisbridge._clock import ManualClock
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app

async def main():
    config = FrontendSimConfig(licenses=(sys.argv[2],))
    app = create_frontend_app(config, clock=ManualClock(), store_url=sys.argv[1])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fe") as client:
        reply = await client.post("/hclient/api/auth/secretKey", json={"license": sys.argv[2]})
    print(reply.json()["secretKey"], flush=True)
    os._exit(0)  # no close, no final commit: a crash

asyncio.run(main())
"""


async def test_key_survives_a_crash(store_url: str, clock: ManualClock) -> None:
    """No clean close: the key was committed when it was issued."""
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_SIMULATOR, store_url, LICENSE], capture_output=True,
        text=True, timeout=120, check=True, env={**os.environ, "PYTHONPATH": _SRC})
    key = done.stdout.strip()
    assert len(key) == 32
    async with running(store_url, clock) as (_, client):
        assert (await _query(client, key))["result"] is True


async def test_an_expired_key_is_dropped_when_the_simulator_starts(
    store_url: str, clock: ManualClock
) -> None:
    async with running(store_url, clock) as (_, client):
        await _key(client)
    clock.advance(days=8)
    async with running(store_url, clock) as (app, _):
        assert app.sim.store.query("SELECT secret_key FROM sim_secret_key") == []


async def test_key_checks_stay_in_memory() -> None:
    """A key check never reaches the database: it works with the connection closed."""
    app = create_frontend_app(CONFIG, clock=ManualClock())
    issued = app.sim.keys.issue(LICENSE)
    assert issued is not None
    app.sim.store.close()
    assert app.sim.keys.check(issued.key) is issued


# -- messages and their consumer cursor ------------------------------------------------------------

async def test_messages_are_delivered_once_in_order_across_a_restart(
    store_url: str, clock: ManualClock
) -> None:
    async with running(store_url, clock) as (app, client):
        for n in range(7):
            await _post(client, "emrActivityInfo", _activity(n))
        clock.advance(DELAY_S)
        assert app.sim.tick() == 7
        key = (await _key(client))["secretKey"]
        before = [m["seq"] for m in (await _query(client, key))["messages"]]
    assert before == [1, 2, 3]
    async with running(store_url, clock) as (app, client):
        after = await _drain(client, key)
        await _post(client, "emrActivityInfo", _activity(99))
        clock.advance(DELAY_S)
        assert app.sim.tick() == 1
        later = await _drain(client, key)
    assert after == [[4, 5, 6], [7]]
    assert later == [[8]]  # the sequence continues and the cursor keeps following it


async def test_two_keys_keep_their_own_cursors(store_url: str, clock: ManualClock) -> None:
    async with running(store_url, clock) as (app, client):
        for n in range(4):
            await _post(client, "emrActivityInfo", _activity(n))
        clock.advance(DELAY_S)
        app.sim.tick()
        first, second = (await _key(client))["secretKey"], (await _key(client))["secretKey"]
        await _query(client, first)
    async with running(store_url, clock) as (_, client):
        assert await _drain(client, first) == [[4]]
        assert await _drain(client, second) == [[1, 2, 3], [4]]


# -- waiting 漏报 visits ------------------------------------------------------------------------------

async def test_missed_report_due_during_downtime_fires_once_after_restart(
    store_url: str, clock: ManualClock
) -> None:
    async with running(store_url, clock) as (_, client):
        await _post(client, "emrActivityInfo", _activity(1))
        await _post(client, "emrActivityInfo", _activity(2))
        await _post(client, "emrInfReport", {"id": "card-2", "patientId": "pat-2"})
    clock.advance(DELAY_S * 10)  # down while the visit came due
    async with running(store_url, clock) as (app, client):
        assert len(app.sim.engine.waiting) == 1
        assert app.sim.tick() == 1
        assert app.sim.tick() == 0
        assert await _missed_reports(client) == ["pat-1"]
    async with running(store_url, clock) as (app, client):
        assert app.sim.engine.waiting == {}
        assert app.sim.tick() == 0
        assert await _missed_reports(client) == ["pat-1"]


async def test_a_waiting_visit_keeps_its_due_time(store_url: str, clock: ManualClock) -> None:
    async with running(store_url, clock) as (_, client):
        await _post(client, "emrActivityInfo", _activity(3))
    clock.advance(DELAY_S / 2)
    async with running(store_url, clock) as (app, client):
        await _post(client, "emrActivityInfo", _activity(3))  # a re-send does not restart it
        clock.advance(DELAY_S / 2 - 1)
        assert app.sim.tick() == 0
        clock.advance(1)
        assert app.sim.tick() == 1
        assert await _missed_reports(client) == ["pat-3"]


async def test_a_card_after_restart_stops_the_waiting_visit(
    store_url: str, clock: ManualClock
) -> None:
    async with running(store_url, clock) as (_, client):
        await _post(client, "emrActivityInfo", _activity(4))
    async with running(store_url, clock) as (_, client):
        await _post(client, "emrInfReport", {"id": "card-4", "patientId": "pat-4"})
    clock.advance(DELAY_S)
    async with running(store_url, clock) as (app, client):
        assert app.sim.engine.waiting == {}
        assert app.sim.tick() == 0
        assert await _missed_reports(client) == []


async def test_a_visit_whose_removal_was_lost_does_not_fire_twice(
    store_url: str, clock: ManualClock
) -> None:
    """A crash between storing the message and removing the visit: the dedupe key holds."""
    async with running(store_url, clock) as (app, client):
        await _post(client, "emrActivityInfo", _activity(5))
        (visit,) = app.sim.engine.durable.visits()
        clock.advance(DELAY_S)
        assert app.sim.tick() == 1
        app.sim.engine.durable.save_visit(visit)  # as if the removal never reached the disk
    async with running(store_url, clock) as (app, client):
        assert list(app.sim.engine.waiting) == ["act-5"]
        assert app.sim.tick() == 0
        assert app.sim.engine.waiting == {}
        assert await _missed_reports(client) == ["pat-5"]
        assert app.sim.store.query("SELECT * FROM sim_waiting_visit") == []


async def test_reset_forgets_keys_and_waiting_visits(store_url: str, clock: ManualClock) -> None:
    async with running(store_url, clock) as (_, client):
        key = (await _key(client))["secretKey"]
        await _post(client, "emrActivityInfo", _activity(6))
        assert (await client.post("/sim/reset")).json()["result"] is True
    async with running(store_url, clock) as (app, client):
        assert app.sim.engine.waiting == {}
        assert (await _query(client, key))["errorCode"] == "02"


def test_saved_visit_round_trips(clock: ManualClock) -> None:
    app = create_frontend_app(CONFIG, clock=clock)
    visit = SavedVisit("act-7", {"id": "act-7", "patient_id": "pat-7", "dept_code": None},
                       "A15.0", "肺结核", clock.now())
    app.sim.engine.durable.save_visit(visit)
    assert app.sim.engine.durable.visits() == [visit]
    app.sim.close()


# -- an older database ------------------------------------------------------------------------------

async def test_a_database_written_by_the_previous_version_opens_with_its_rows(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(OLD_DB.read_text(encoding="utf-8"))
    url = f"sqlite:///{path}"
    async with running(url, clock) as (app, client):
        await _assert_old_rows_kept(app, client)
        key = (await _key(client))["secretKey"]
        assert [m["seq"] for m in (await _query(client, key))["messages"]] == [1, 2]
    engine = create_engine(url)
    try:
        _assert_schema_matches(app, engine)
    finally:
        engine.dispose()
    async with running(url, clock) as (_, client):
        assert (await _query(client, key))["messages"] == []  # the cursor was kept


@pytest.mark.services
async def test_an_old_postgres_database_gains_the_new_tables(
    pg_url: str, clock: ManualClock
) -> None:
    """The previous version's schema is today's without the two new tables."""
    async with running(pg_url, clock) as (_, client):
        for n in (1, 2):
            await _post(client, "emrActivityInfo", {**_activity(n), "id": f"old-act-{n}"})
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {', '.join(NEW_TABLES)}"))
        async with running(pg_url, clock) as (app, client):
            assert app.sim.store.counts()["emr_activity_info"] == 2
            assert len(app.sim.engine.waiting) == 0  # visits of the old version were in memory
            assert (await _query(client, (await _key(client))["secretKey"]))["result"] is True
        _assert_schema_matches(app, engine)
    finally:
        engine.dispose()


async def _assert_old_rows_kept(app: FrontendApp, client: httpx.AsyncClient) -> None:
    counts = app.sim.store.counts()
    assert counts["emr_activity_info"] == 2 and counts["emr_inf_report"] == 1
    assert app.sim.store.message_seq == 2 and app.sim.store.request_seq == 3
    messages = (await client.get("/sim/messages")).json()
    assert [(m["seq"], m["type"]) for m in messages] == [
        (1, "report_received"), (2, "missed_report")]
    assert [r["seq"] for r in (await client.get("/sim/requests")).json()][:3] == [1, 2, 3]


def _assert_schema_matches(app: FrontendApp, engine: Any) -> None:
    """Every declared table and column exists in the upgraded database."""
    inspector = inspect(engine)
    for table in app.sim.store.metadata.sorted_tables:
        found = {c["name"] for c in inspector.get_columns(table.name)}
        assert found == {c.name for c in table.columns}, table.name
