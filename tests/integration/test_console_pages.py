"""The console's data pages over a real store filled by the real delivery service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.testing.targets import rejected
from hisbridge.web.app import create_app

PATIENT = "P-0001"
SERIAL = "MZ20260301001"
BAD_ID = "440106199001011230"  # wrong check digit


@dataclass
class World:
    engine: Engine
    service: DeliveryService
    target: RecordingTarget
    client: httpx.AsyncClient
    id_card: str


async def _fill(service: DeliveryService, target: RecordingTarget) -> str:
    patient = sample_record("emr_patient_info", PATIENT, serial=7)
    service.accept("emr_patient_info", [patient], source="test")
    visits = [sample_record("emr_outpatient_record", f"V-{n}", parent_id=PATIENT, serial=n,
                            serial_number=SERIAL if n == 1 else f"MZ-{n}") for n in range(1, 4)]
    target.script("V-3", [rejected("04")])
    service.accept("emr_outpatient_record", visits, source="test")
    broken = sample_record("emr_outpatient_record", "V-bad", parent_id=PATIENT, id_card=BAD_ID,
                           outpatient_date="2026-13-45 99:00:00")
    service.accept("emr_outpatient_record", [broken], source="test")
    assert await service.run_until_idle(timeout=20)
    return str(patient["id_card"])


@asynccontextmanager
async def _world(url: str) -> AsyncIterator[World]:
    engine = make_engine(url)
    upgrade(engine)
    add_role_users(engine)
    target = RecordingTarget()
    settings = load_settings(validation={"mode": "strict"}, console={"argon2": FAST_ARGON2})
    service = DeliveryService.from_settings(settings, engine, target=target)
    id_card = await _fill(service, target)
    app = create_app(settings, engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as client:
        yield World(engine, service, target, client, id_card)
    await service.stop()
    engine.dispose()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with _world(f"sqlite:///{tmp_path / 'store.db'}") as made:
        yield made


async def test_dashboard_counts_today(world: World) -> None:
    await login(world.client, "operator1")
    cells = (await world.client.get("/console/dashboard.json")).json()["cells"]
    assert cells["emr_outpatient_record.accepted"] == 3
    assert cells["emr_outpatient_record.rejected"] == 1
    assert cells["emr_outpatient_record.extracted"] == 4
    assert cells["emr_outpatient_record.delivered"] == 2
    assert cells["emr_outpatient_record.dead"] == 1
    assert cells["total.delivered"] == 3 and cells["total.pending"] == 0
    page = await world.client.get("/console/")
    assert page.status_code == 200 and "<svg" in page.text and "recording" in page.text


async def test_find_a_record_by_visit_serial_number(world: World) -> None:
    await login(world.client, "auditor1")
    found = await world.client.get(f"/console/records?serial_number={SERIAL}")
    assert found.status_code == 200
    assert "/console/records/emr_outpatient_record/V-1" in found.text
    assert "V-2" not in found.text
    story = await world.client.get("/console/records/emr_outpatient_record/V-1")
    assert story.status_code == 200
    assert f"/console/records/emr_patient_info/{PATIENT}" in story.text  # the parent link
    assert "delivered" in story.text and "result" in story.text  # the receiver's reply
    patient = await world.client.get(f"/console/records/emr_patient_info/{PATIENT}")
    assert world.id_card not in patient.text and world.id_card[-4:] in patient.text  # masked
    assert "/console/records/emr_outpatient_record/V-2" in patient.text  # children
    missing = await world.client.get("/console/records/emr_outpatient_record/nope")
    assert missing.status_code == 404


async def test_replay_a_dead_letter(world: World) -> None:
    token = await login(world.client, "operator1")
    page = await world.client.get("/console/dead?table=emr_outpatient_record")
    assert page.status_code == 200 and "V-3" in page.text
    assert "符合条件：1 条" in page.text
    replay = await world.client.post("/console/dead/replay", data={
        "csrf": token, "table": "emr_outpatient_record", "error_code": "", "from": "", "to": ""})
    assert replay.status_code == 303 and "replayed=1" in replay.headers["location"]
    assert await world.service.run_until_idle(timeout=20)
    assert [c.verdict for c in world.target.calls if c.record_id == "V-3"] == ["terminal", "delivered"]
    after = await world.client.get(replay.headers["location"])
    assert "已重发 1 条" in after.text
    await login(world.client, "admin1")
    log = await world.client.get("/console/actions?action=dead.replay")
    assert "operator1" in log.text and "emr_outpatient_record" in log.text


async def test_auditor_may_not_replay(world: World) -> None:
    token = await login(world.client, "auditor1")
    page = await world.client.get("/console/dead?table=emr_outpatient_record")
    assert page.status_code == 200 and 'action="/console/dead/replay"' not in page.text
    form = {"csrf": token, "table": "emr_outpatient_record"}
    refused = await world.client.post("/console/dead/replay", data=form)
    assert refused.status_code == 403


async def test_quality_groups_violations_and_masks(world: World) -> None:
    await login(world.client, "operator1")
    page = await world.client.get("/console/quality")
    assert page.status_code == 200
    assert "outpatient_date" in page.text and "id_card" in page.text
    assert BAD_ID not in page.text and BAD_ID[-4:] in page.text


PARAMS = ("table", "from", "to", "state", "serial_number", "patient_id", "error_code", "user", "lang")
ODD = ["%00", "' OR 1=1 --", "<script>x</script>", "9" * 400, "2026-02-30", "🙂", "%ZZ", "a&b=c", "-1"]


async def test_odd_query_strings_never_500(world: World) -> None:
    await login(world.client, "admin1")
    for path in ("/console/", "/console/records", "/console/dead", "/console/quality", "/console/actions",
                 "/console/alerts", "/console/config", "/console/users"):
        for name in PARAMS:
            params = {"table": "emr_order", "from": ODD[len(name) % len(ODD)],
                      name: ODD[len(path + name) % len(ODD)]}
            reply = await world.client.get(path, params=params)
            assert reply.status_code in (200, 400), (path, params, reply.status_code)
            assert "<script>x</script>" not in reply.text
    for odd in ODD:
        reply = await world.client.get("/console/records", params={"serial_number": odd, "to": odd})
        assert reply.status_code in (200, 400)
    reply = await world.client.get("/console/records/emr_order/" + "x" * 300)
    assert reply.status_code == 404


@pytest.mark.services
async def test_pages_on_postgres(pg_url: str) -> None:
    async with _world(pg_url) as world:
        token = await login(world.client, "operator1")
        cells = (await world.client.get("/console/dashboard.json")).json()["cells"]
        assert (cells["emr_outpatient_record.accepted"], cells["emr_outpatient_record.dead"]) == (3, 1)
        query = {"serial_number": SERIAL, "state": "delivered", "from": "2020-01-01"}
        found = await world.client.get("/console/records", params=query)
        assert "/console/records/emr_outpatient_record/V-1" in found.text
        story = await world.client.get("/console/records/emr_patient_info/" + PATIENT)
        assert "/console/records/emr_outpatient_record/V-2" in story.text
        assert "outpatient_date" in (await world.client.get("/console/quality?from=2020-01-01")).text
        form = {"csrf": token, "table": "emr_outpatient_record"}
        replay = await world.client.post("/console/dead/replay", data=form)
        assert "replayed=1" in replay.headers["location"]
        assert (await world.client.get("/console/")).status_code == 200


async def test_reconciliation_of_today(world: World) -> None:
    await login(world.client, "operator1")
    page = await world.client.get("/console/reconcile")
    assert page.status_code == 200
    assert "/console/dead?table=emr_outpatient_record&from=" in page.text  # resend the dead one
    row = page.text.split('data-testid="resend-emr_outpatient_record"')[0].rsplit("<tr>", 1)[1]
    cells = [c.split("<")[0] for c in row.split('class="num')[1:]]
    assert [c.split(">")[-1] for c in cells] == ["未启用", "3", "2", "0", "1"]  # in flight, dead
    empty = await world.client.get("/console/reconcile?date=2020-01-01")
    assert "resend-" not in empty.text
    assert (await world.client.get("/console/reconcile?date=2020-13-01")).status_code == 400
